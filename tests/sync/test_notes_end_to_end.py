"""Progress notes syncing through a real hub process on loopback (DESIGN.md, Sync and Scopes).

- A front-desk workstation holds every note's metadata and never a note body: not in a table, not in
  a conflict record, not anywhere in its store.
- An edit made offline to a note signed meanwhile on another laptop is refused with a reason (amend by
  addendum), kept in the outbox and shown to its author; the hub's note is unchanged, nothing else of
  that sync is lost.
- Two signatures made offline (signing on one workstation, co-signing on another) are both kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mentalspace_desktop.services.sync_status import SyncStatusService
from mentalspace_desktop.store.models import Client, Note, NoteBody, OutboxEntry
from mentalspace_desktop.store.sync_models import Conflict
from mentalspace_desktop.sync.outbox_reader import pending_count, rejections
from tests.factories import PracticeTemplate, add_note, cosign_note, edit_note_body, sign_note
from tests.sync.conftest import MemoryKeyring
from tests.sync.hubproc import HUB_APP, user_id
from tests.sync.test_end_to_end import Desk, World, edit, register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub (mentalspace_desktop/hub/app.py) is not written yet"),
]

MARKER = "Zq7-heron-marker"  # appears only inside note bodies


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def count(desk: Desk, model: type[object]) -> int:
    with desk.session.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def everything_in(desk: Desk) -> str:
    """Every row of every table of the workstation's store (outbox, sync log and state included), as text."""
    with desk.session.store.engine.connect() as conn:
        tables = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return "\n".join(repr(conn.exec_driver_sql(f'SELECT * FROM "{t}"').all()) for t in tables)


def synced(desk: Desk) -> None:
    report = desk.sync()
    assert report.ok, report.log_line()
    assert report.rejected == 0, report.rejections


def caseload_client(admin: Desk) -> str:
    """A client of the clinician (whom the supervisor supervises), registered and pushed by the administrator."""
    client_id = register(admin, "Notetaker", clinician=user_id(admin.session.store, "clin"))
    synced(admin)
    return client_id


def test_a_front_desk_workstation_holds_note_metadata_and_never_a_body(world: World) -> None:
    admin, clin, sup = world.desk("admin"), world.desk("clinician"), world.desk("supervisor")
    desk, other = world.desk("front_desk"), world.desk("other_clinician")
    client_id = caseload_client(admin)
    for d in (clin, sup, desk, other):
        synced(d)
    clin_id, sup_id = clin.session.actor.user_id, sup.session.actor.user_id
    first, _ = add_note(clin.session.store, clin_id, client_id, body=f"intake. {MARKER} sleeps badly",
                        note_type="intake")
    add_note(clin.session.store, clin_id, client_id, body=f"progress. {MARKER} sleeping better")
    synced(clin)
    synced(sup)
    assert count(sup, NoteBody) == 2  # the clinician's supervisor reads their notes
    # Both edit the first note's body offline: the clinical clash becomes a conflict waiting for a person.
    edit_note_body(clin.session.store, clin_id, first, f"intake, revised by the clinician. {MARKER}")
    edit_note_body(sup.session.store, sup_id, first, f"intake, revised by the supervisor. {MARKER}")
    synced(clin)
    clash = sup.sync()
    assert clash.ok and clash.conflicts == 1, clash.log_line()
    synced(clin)
    with clin.session.store.read() as s:
        assert s.scalars(select(Conflict.table_name)).all() == ["note_bodies"]  # it exists, for its people

    report = desk.sync()
    assert report.ok, report.log_line()
    assert "notes" in report.tables_pulled and "note_bodies" not in report.tables_pulled
    with desk.session.store.read() as s:
        notes = s.scalars(select(Note).where(Note.client_id == client_id)).all()
        assert sorted(n.note_type for n in notes) == ["intake", "progress"]
        assert all(n.author_id == clin_id and n.status == "draft" for n in notes)
        assert s.scalar(select(func.count()).select_from(NoteBody)) == 0
        assert s.scalars(select(Conflict).where(Conflict.table_name == "note_bodies")).all() == []
    assert MARKER not in everything_in(desk)

    # Another clinician's workstation keeps syncing, and holds none of these notes' words either.
    synced(other)
    assert count(other, NoteBody) == 0 and MARKER not in everything_in(other)


def test_an_edit_to_a_note_signed_elsewhere_is_refused_kept_and_shown(world: World) -> None:
    admin, a, b = world.desk("admin"), world.desk("clinician"), world.desk("clinician")
    client_id = caseload_client(admin)
    synced(a)
    clin_id = a.session.actor.user_id
    original = "Session 4. Client reports fewer panic attacks."
    note_id, body_id = add_note(a.session.store, clin_id, client_id, body=original)
    synced(a)
    synced(b)  # laptop B has the draft
    sign_note(a.session.store, clin_id, note_id)
    synced(a)

    offline = "Session 4. Client reports fewer panic attacks; plan: continue CBT."  # typed on B, offline
    edit_note_body(b.session.store, clin_id, note_id, offline)
    later_id, _ = add_note(b.session.store, clin_id, client_id, body="Session 5.")  # more work, same sync
    edit(b, client_id, phone_mobile="4045550123")
    report = b.sync()
    assert report.ok, report.log_line()
    assert report.rejected == 1 and pending_count(b.session.store) == 0  # the queue moved past it

    mine = rejections(b.session.store, author_id=clin_id)
    assert [(r.table, r.row_id) for r in mine] == [("note_bodies", body_id)]
    assert "addendum" in mine[0].reason and mine[0].changes["body"] == [original, offline]  # the words are kept
    with b.session.store.read() as s:
        entry = s.scalars(select(OutboxEntry).where(OutboxEntry.status == "rejected")).one()
        assert entry.row_id == body_id and "addendum" in (entry.result_reason or "")
        assert offline in entry.changes
        local_note, local_body = s.get(Note, note_id), s.get(NoteBody, body_id)
        assert local_note is not None and local_note.status == "signed"
        assert local_body is not None and local_body.body == original  # the hub's signed version came back
    shown = SyncStatusService(b.session).my_rejections()
    assert len(shown) == 1 and "addendum" in shown[0].reason and shown[0].fields == ("body",)

    assert world.hub.sql("SELECT body FROM note_bodies WHERE id = :i", i=body_id) == [(original,)]
    assert world.hub.sql("SELECT status FROM notes WHERE id = :i", i=note_id) == [("signed",)]
    assert world.hub.sql("SELECT count(*) FROM notes WHERE id = :i", i=later_id) == [(1,)]  # nothing else lost
    assert world.hub.sql("SELECT phone_mobile FROM clients WHERE id = :i", i=client_id) == [("4045550123",)]

    # The way to amend a signed note: an addendum, which goes through.
    addendum_id, _ = add_note(b.session.store, clin_id, client_id, body=offline, note_type="addendum",
                              addendum_to=note_id)
    synced(b)
    assert world.hub.sql("SELECT addendum_to FROM notes WHERE id = :i", i=addendum_id) == [(note_id,)]
    synced(a)
    with a.session.store.read() as s:
        assert s.scalars(select(NoteBody.body).join(Note, Note.id == NoteBody.note_id)
                         .where(Note.addendum_to == note_id)).all() == [offline]
        client = s.get(Client, client_id)
        assert client is not None and client.phone_mobile == "4045550123"


@pytest.mark.parametrize("first", ["signer", "cosigner"])
def test_two_signatures_made_offline_are_both_kept(world: World, first: str) -> None:
    admin, clin, sup = world.desk("admin"), world.desk("clinician"), world.desk("supervisor")
    client_id = caseload_client(admin)
    synced(clin)
    clin_id, sup_id = clin.session.actor.user_id, sup.session.actor.user_id
    note_id, body_id = add_note(clin.session.store, clin_id, client_id, body="Session 2.")
    synced(clin)
    synced(sup)
    signed_at = sign_note(clin.session.store, clin_id, note_id)  # both offline, both from the draft
    cosigned_at = cosign_note(sup.session.store, sup_id, note_id)
    order = [clin, sup] if first == "signer" else [sup, clin]
    for desk in order + order:
        synced(desk)  # rejected == 0: neither signature is refused
    assert world.hub.sql("SELECT count(*) FROM conflicts") == [(0,)]
    for desk in (clin, sup):
        with desk.session.store.read() as s:
            note, body = s.get(Note, note_id), s.get(NoteBody, body_id)
            assert note is not None and body is not None
            assert (note.status, note.signed_by, note.cosigned_by) == ("signed", clin_id, sup_id)
            assert (note.signed_at, note.cosigned_at, body.signed_at) == (signed_at, cosigned_at, signed_at)
        assert rejections(desk.session.store) == []
    row = world.hub.sql("SELECT signed_by, cosigned_by FROM notes WHERE id = :i", i=note_id)
    assert row == [(clin_id, sup_id)]
