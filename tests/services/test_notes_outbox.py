"""Notes in the local store: every write to a note or its body is queued for the hub like any synced row,
and the two tables are described to sync as clinical, signed-immutable, and separately scoped."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text

from mentalspace_desktop.domain.merge import DataKind
from mentalspace_desktop.domain.roles import Resource
from mentalspace_desktop.store.models import SYNCED_TABLES, Note, NoteBody, OutboxEntry
from mentalspace_desktop.sync.apply import apply_page
from mentalspace_desktop.sync.tables import TABLES
from tests.factories import PracticeFixture, add_note, cosign_note, edit_note_body, sign_note

SECRET = "client described a fear of bridges"


def entries_after(practice: PracticeFixture, mark: int) -> list[OutboxEntry]:
    with practice.admin.store.read() as s:
        return list(s.scalars(select(OutboxEntry).where(OutboxEntry.device_seq > mark)
                              .order_by(OutboxEntry.device_seq)))


def last_seq(practice: PracticeFixture) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.max(OutboxEntry.device_seq))) or 0)


def test_notes_tables_sync_as_clinical_records_scoped_apart() -> None:
    assert {"notes", "note_bodies"} <= set(SYNCED_TABLES)
    notes, bodies = TABLES["notes"], TABLES["note_bodies"]
    assert (notes.kind, bodies.kind) == (DataKind.CLINICAL, DataKind.CLINICAL)
    assert notes.resource is Resource.NOTE_METADATA and bodies.resource is Resource.NOTE_CONTENT
    assert notes.resource_to_write is Resource.NOTE_CONTENT  # reading metadata is not writing a note
    assert notes.client_key == bodies.client_key == "client_id"
    assert notes.signed_field == bodies.signed_field == "signed_at"
    order = list(TABLES)
    assert order.index("clients") < order.index("notes") < order.index("note_bodies")  # parents first


def test_writing_and_signing_a_note_queues_both_rows(practice: PracticeFixture) -> None:
    clinician = practice.users["clinician"]
    client = practice.add_client(clinician="clinician")
    mark = last_seq(practice)
    note_id, body_id = add_note(practice.admin.store, clinician, client.id, body=SECRET)

    inserted = entries_after(practice, mark)
    assert [(e.table_name, e.op, e.row_id) for e in inserted] == [
        ("notes", "insert", note_id), ("note_bodies", "insert", body_id)]
    note_entry, body_entry = inserted
    assert SECRET not in note_entry.changes + note_entry.row  # the metadata row carries no words
    assert json.loads(body_entry.changes)["body"] == [None, SECRET]
    assert json.loads(note_entry.changes)["status"] == [None, "draft"]
    for entry in inserted:
        row = json.loads(entry.row)
        assert row["updated_by"] == clinician and row["client_id"] == client.id
        assert entry.base_server_seq is None and entry.status == "pending"

    with practice.admin.store.engine.begin() as conn:  # as if the hub had accepted both
        conn.execute(text("UPDATE notes SET server_seq = 7"))
        conn.execute(text("UPDATE note_bodies SET server_seq = 8"))
    mark = last_seq(practice)
    when = sign_note(practice.admin.store, clinician, note_id, at=datetime(2025, 3, 14, 18, 0, tzinfo=UTC))
    signed = {e.table_name: e for e in entries_after(practice, mark)}  # one transaction, in either order
    assert {(t, e.op, e.base_server_seq) for t, e in signed.items()} == {("notes", "update", 7),
                                                                        ("note_bodies", "update", 8)}
    assert json.loads(signed["notes"].changes) == {
        "status": ["draft", "signed"], "signed_at": [None, when.isoformat()], "signed_by": [None, clinician]}
    assert json.loads(signed["note_bodies"].changes) == {"signed_at": [None, when.isoformat()]}

    mark = last_seq(practice)
    cosign_note(practice.admin.store, practice.users["supervisor"], note_id)
    edit_note_body(practice.admin.store, clinician, note_id, "changed after signing")
    later = entries_after(practice, mark)
    # The store queues them; the hub decides (the co-signature is kept, the edit refused: see tests/sync).
    assert [(e.table_name, sorted(json.loads(e.changes))) for e in later] == [
        ("notes", ["cosigned_at", "cosigned_by"]), ("note_bodies", ["body"])]


def test_a_failed_note_write_leaves_neither_rows_nor_outbox(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")
    mark = last_seq(practice)
    with pytest.raises(ZeroDivisionError), practice.admin.store.write(practice.users["clinician"]) as s:
        note = Note(client_id=client.id, author_id=practice.users["clinician"],
                    service_date=datetime(2025, 3, 14).date())
        s.add(note)
        s.flush()
        s.add(NoteBody(note_id=note.id, client_id=client.id, body=SECRET))
        s.flush()
        raise ZeroDivisionError
    assert entries_after(practice, mark) == []
    with practice.admin.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Note)) == 0
        assert s.scalar(select(func.count()).select_from(NoteBody)) == 0


def test_a_client_leaving_this_devices_scope_takes_its_notes_and_bodies(practice: PracticeFixture) -> None:
    """The hub tells a device to drop a client (reassigned); its notes and bodies go with it, in one page."""
    clinician = practice.users["clinician"]
    leaving, staying = practice.add_client(clinician="clinician"), practice.add_client(clinician="clinician")
    note_id, _ = add_note(practice.admin.store, clinician, leaving.id, body=SECRET)
    add_note(practice.admin.store, clinician, leaving.id, body="addendum words", note_type="addendum",
             addendum_to=note_id)
    add_note(practice.admin.store, clinician, staying.id, body="kept")
    with practice.admin.store.write() as s:
        s.execute(text("UPDATE outbox SET status = 'done'"))  # already pushed: nothing waits on them
    apply_page(practice.admin.store, {"rows": [], "drops": [{"table": "clients", "row_id": leaving.id}],
                                      "cursor": "c"})
    with practice.admin.store.read() as s:
        assert s.scalars(select(Note.client_id)).all() == [staying.id]
        assert s.scalars(select(NoteBody.body)).all() == ["kept"]
