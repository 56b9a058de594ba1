"""Nothing lost and nothing kept that should go: restored stores and hubs, rows that leave a scope,
offline work on a client that moved, revoked sign-ins, and workstations whose staff change.

Each scenario runs desktop stores against a real hub process on loopback, on SQLite and (when
MENTALSPACE_TEST_PG_URL is set) on PostgreSQL.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from benchmarks._hubproc import pg_database
from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services.backup import restore_backup, write_backup
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store import signing
from mentalspace_desktop.store.backup import restored_marker
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import AuditEntry, Consent, OutboxEntry, User
from mentalspace_desktop.store.opening import open_store
from mentalspace_desktop.store.signing import Signer
from mentalspace_desktop.store.sync_models import Conflict
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.enroll import open_client
from mentalspace_desktop.sync.outbox_reader import pending_count, rejections
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture, PracticeTemplate
from tests.hub.conftest import PG_ENV
from tests.sync.conftest import MemoryKeyring
from tests.sync.hubproc import HUB_APP, DroppingProxy, user_id
from tests.sync.test_end_to_end import Desk, World, edit, edit_row, register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet"),
]


@pytest.fixture(params=["sqlite", "postgresql"])
def world(request: pytest.FixtureRequest, tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:
    if request.param == "sqlite":
        w = World(tmp_path, practice_template)
        yield w
        w.close()
        return
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(f"{PG_ENV} is not set")
    pytest.importorskip("psycopg", reason="psycopg (the hub extra) is not installed")
    with pg_database(server, prefix="test_sync") as url:
        w = World(tmp_path, practice_template, database_url=url)
        try:
            yield w
        finally:
            w.close()


@pytest.fixture
def sqlite_world(tmp_path: Path, practice_template: PracticeTemplate,
                 memory_keyring: MemoryKeyring) -> Iterator[World]:
    """For the hub's own backup and restore, which the test hub does with SQLite's backup API."""
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def hub_last_seq(world: World, desk: Desk) -> int:
    return int(world.hub.sql("SELECT last_device_seq FROM devices WHERE id = :d",
                             d=desk.session.store.device_id)[0][0])


def hub_values(world: World, column: str, ids: list[str]) -> dict[str, object]:
    rows = world.hub.sql(f"SELECT id, {column} FROM clients")
    return {i: v for i, v in rows if i in ids}


def restored_desk(world: World, original: Desk, backup: Path, folder: Path) -> Desk:
    """The workstation's store put back from ``backup`` into ``folder``, signed in as before."""
    restore_backup(backup, folder)
    store = open_store(StoreFiles(folder), world.template.master_key)
    slots = KeySlots.load(StoreFiles(folder).key_slots)
    actor = original.session.actor
    # What their sign-in on the restored store opens: the restored slot's clinical and signing keys.
    opened = slots.open_slot(actor.username, ADMIN_PASSWORD if actor.role is Role.ADMIN else PASSWORD)
    assert opened.signing_key is not None
    signing.install(store.engine, Signer(opened.user_id, opened.signing_key))
    session = UserSession(store, slots, actor, clinical_key=opened.clinical_key, signing_key=opened.signing_key)
    desk = Desk(PracticeFixture(folder, session, "", []), session, open_client(store))
    world.desks.append(desk)
    return desk


# -- defect 1: a restored store ------------------------------------------------------------------


@pytest.mark.parametrize("says_so", [True, False], ids=["store-says-restored", "hub-notices"])
def test_a_workstation_restored_from_its_backup_loses_no_new_work(world: World, tmp_path: Path,
                                                                   says_so: bool) -> None:
    """The reproduction: edits 3, syncs, backs up, edits 7, syncs; restored, it registers 6 clients and
    edits 6 more. Every change reaches the hub, none is taken for a repeat, and the user is told."""
    a = world.desk("admin")
    ids = [register(a, f"Base{i}") for i in range(10)]
    assert a.sync().ok
    for i in range(3):
        edit(a, ids[i], city=f"First{i}")
    assert a.sync().ok
    backup = tmp_path / "desk.msbackup"
    write_backup(a.session, backup)
    for i in range(3, 10):
        edit(a, ids[i], city=f"Second{i}")
    assert a.sync().ok and pending_count(a.session.store) == 0
    before = hub_last_seq(world, a)

    b = restored_desk(world, a, backup, tmp_path / "restored")
    if not says_so:  # a folder copied back by hand: only the hub can notice
        restored_marker(b.session.store).unlink()
    with b.session.store.read() as s:
        audit_before = set(s.scalars(select(AuditEntry.id)))
    new = [register(b, f"Restored{i}") for i in range(6)]
    for i in range(6):
        edit(b, ids[i], phone_home=f"40455501{i:02d}")
    with b.session.store.read() as s:
        written = [e.change_id for e in s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending"))]
        new_audit = set(s.scalars(select(AuditEntry.id))) - audit_before
    assert len(written) >= 18

    report = b.sync()
    assert report.ok, report.log_line()
    refused = [r.reason for r in rejections(b.session.store)]
    assert report.rejected == 0 and refused == [], refused
    assert pending_count(b.session.store) == 0
    assert any("restored from a backup" in n for n in report.notices), report.log_line()
    assert "restored from a backup" in report.log_line()
    # every change made after the restore is on the hub: the clients, the edits and the audit entries
    assert {v for v in hub_values(world, "last_name", new).values()} == {f"Restored{i}" for i in range(6)}
    assert hub_values(world, "phone_home", ids[:6]) == {ids[i]: f"40455501{i:02d}" for i in range(6)}
    hub_audit = {r[0] for r in world.hub.sql("SELECT id FROM audit_log")}
    assert new_audit and new_audit <= hub_audit
    # one audit chain, continued after the hub's copy of it: no number twice, no gap, every link holds
    device = b.session.store.device_id
    with b.session.store.read() as s:
        chain = [(e.id, e.seq, e.prev_hash, e.hash) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.device_id == device).order_by(AuditEntry.seq))]
    assert [seq for _, seq, _, _ in chain] == list(range(chain[0][1], chain[0][1] + len(chain)))
    assert all(later[2] == earlier[3] for earlier, later in zip(chain, chain[1:], strict=False))
    on_hub = world.hub.sql("SELECT id, seq, prev_hash, hash FROM audit_log WHERE device_id = :d ORDER BY seq",
                           d=device)
    assert [tuple(r) for r in on_hub] == chain
    assert hub_last_seq(world, b) == before + len(written)
    # and the work done before the restore, which the backup lacked, came back from the hub
    for i in range(3, 10):
        assert b.client_row(ids[i]).city == f"Second{i}"  # type: ignore[union-attr]
    assert not restored_marker(b.session.store).exists()
    # from then on the workstation syncs as usual
    register(b, "AfterwardsToo")
    again = b.sync()
    assert again.ok and again.notices == [] and again.pushed >= 1, again.log_line()


def test_a_sequence_that_jumps_or_goes_back_is_refused_and_moves_nothing(world: World) -> None:
    a = world.desk("admin")
    register(a, "Numbered")
    assert a.sync().ok
    last = hub_last_seq(world, a)
    a.client.refresh()
    headers = {"Authorization": f"Bearer {a.client.access_token}"}

    def push(seq: int) -> requests.Response:
        change = {"device_seq": seq, "change_id": f"01a00000-0000-7000-8000-{seq:012d}", "table": "clients",
                  "row_id": "01a00000-0000-7000-8000-000000000001", "op": "update", "base_server_seq": None,
                  "changes": {"city": [None, "Nowhere"]}, "schema_version": a.session.store.schema_version}
        return requests.post(world.hub.url + "/v1/sync/push", json={"changes": [change]}, headers=headers,
                             timeout=10)

    ahead = push(2**31)
    assert ahead.status_code == 409 and ahead.json()["code"] == "device_seq_gap", ahead.text
    assert ahead.json()["last_device_seq"] == last
    back = push(last)
    assert back.status_code == 409 and back.json()["code"] == "device_seq_behind", back.text
    assert hub_last_seq(world, a) == last  # neither moved the device's last sequence
    register(a, "StillFine")
    report = a.sync()
    assert report.ok and report.notices == [], report.log_line()


def test_an_epoch_change_found_only_on_pull_sends_acknowledged_changes_again(sqlite_world: World) -> None:
    world = sqlite_world
    a = world.desk("admin")
    ids = [register(a, f"Epoch{i}") for i in range(3)]
    assert a.sync().ok
    backup = world.tmp / "hub-backup.db"
    world.hub.stop()
    world.hub.backup(backup)
    world.hub.start()
    for i in range(3):
        edit(a, ids[i], city=f"Acked{i}")
    acked = register(a, "Acknowledged")
    assert a.sync().ok  # acknowledged, then lost in the hub's restore
    world.hub.restore(backup)
    with a.session.store.write() as s:
        state.remove(s, state.EPOCH)  # the handshake cannot tell: the change shows only on pull
    later = register(a, "Later")
    report = a.sync()
    assert report.ok and report.epoch_changed, report.log_line()
    assert pending_count(a.session.store) == 0 and rejections(a.session.store) == []
    assert hub_values(world, "city", ids) == {ids[i]: f"Acked{i}" for i in range(3)}
    names = set(hub_values(world, "last_name", [acked, later]).values())
    assert names == {"Acknowledged", "Later"}


# -- defect 3: a pushed row is a held row ----------------------------------------------------------


def test_a_pushed_client_leaves_the_laptop_when_reassigned_though_the_pull_failed(world: World) -> None:
    proxy = DroppingProxy(world.hub.port)
    try:
        admin = world.desk("admin")
        clin = world.desk("clinician", url=proxy.url)
        clin.client.read_timeout = 3
        assert admin.sync().ok and clin.sync().ok
        client_id = register(clin, "Pushedonly")
        real_push = clin.client.push

        def push_then_lose_the_line(changes: list) -> dict:  # type: ignore[type-arg]
            answer = real_push(changes)
            proxy.drop_responses.set()  # the network drops right after the push was answered
            return answer

        clin.client.push = push_then_lose_the_line  # type: ignore[method-assign]
        failed = clin.sync()
        assert not failed.ok and failed.pushed >= 1, failed.log_line()
        clin.client.push = real_push  # type: ignore[method-assign]
        proxy.drop_responses.clear()

        assert admin.sync().ok
        edit(admin, client_id, primary_clinician_id=user_id(admin.session.store, "oclin"))
        assert admin.sync().ok
        first = clin.sync()
        assert first.ok and first.rows_dropped >= 1, first.log_line()
        for _ in range(2):
            assert clin.sync().ok
        assert clin.client_row(client_id) is None
    finally:
        proxy.close()


# -- defect 4: offline work on a client that moved ------------------------------------------------


def test_offline_work_on_a_moved_client_reaches_the_new_owner_and_its_conflict_both_clinicians(
        world: World) -> None:
    admin, clin, other = world.desk("admin"), world.desk("clinician"), world.desk("other_clinician")
    clin_id, other_id = user_id(admin.session.store, "clin"), user_id(admin.session.store, "oclin")
    client_id = register(admin, "Moving", clinician=clin_id)
    assert admin.sync().ok and clin.sync().ok and other.sync().ok
    # offline on the clinician's laptop: a consent and a phone number
    ClientService(clin.session).add_consent(client_id, ConsentKind.TELEHEALTH_CONSENT, signed_on=date(2026, 1, 5))
    edit(clin, client_id, phone_mobile="4045550199")
    # meanwhile the administrator moves the client and corrects the same phone number
    edit(admin, client_id, primary_clinician_id=other_id, phone_mobile="4045550111")
    assert admin.sync().ok
    report = clin.sync()
    assert report.ok, report.log_line()
    assert report.rejected == 0 and rejections(clin.session.store) == [], rejections(clin.session.store)
    assert report.conflicts == 1
    assert clin.client_row(client_id) is None  # it left the laptop after the work went out

    assert other.sync().ok
    with other.session.store.read() as s:
        consents = s.scalars(select(Consent).where(Consent.client_id == client_id)).all()
        assert [c.kind for c in consents] == [ConsentKind.TELEHEALTH_CONSENT.value]
        conflicts = s.scalars(select(Conflict).where(Conflict.row_id == client_id)).all()
        assert [(c.field, c.author_id) for c in conflicts] == [("phone_mobile", clin_id)]
        assert conflicts[0].hub_value is not None  # the new owner sees both sides
    assert clin.sync().ok
    with clin.session.store.read() as s:
        mine = s.scalars(select(Conflict).where(Conflict.row_id == client_id)).all()
        assert [(c.field, c.device_value) for c in mine] == [("phone_mobile", '"4045550199"')]
        assert mine[0].hub_value is None  # what the client's record now says is no longer theirs to read


# -- defect 5: revocation takes effect on the next request --------------------------------------


def test_revoking_a_sign_in_an_account_or_a_workstation_ends_access_tokens_at_once(world: World) -> None:
    a = world.desk("admin")
    clin = world.desk("clinician")
    assert a.sync().ok and clin.sync().ok

    def pull(token: str | None) -> requests.Response:
        return requests.get(world.hub.url + "/v1/sync/pull", headers={"Authorization": f"Bearer {token}"},
                            timeout=10)

    stolen = a.client.access_token
    assert pull(stolen).status_code == 200
    live = requests.get(world.hub.url + "/v1/sync/events", headers={"Authorization": f"Bearer {stolen}"},
                        stream=True, timeout=10)
    assert live.status_code == 200
    spent = a.client.refresh_token
    a.client.refresh()  # rotates; presenting the spent token again revokes the whole sign-in
    reuse = requests.post(world.hub.url + "/v1/auth/refresh",
                          json={"refresh_token": spent, "device_id": a.session.store.device_id}, timeout=10)
    assert reuse.status_code == 401
    for token in (stolen, a.client.access_token):
        refused = pull(token)
        assert refused.status_code == 401 and refused.json()["code"] == "token_revoked", refused.text
    started = time.monotonic()
    assert list(live.iter_lines())  # the live stream ends at its next keep-alive (1 s here)
    assert time.monotonic() - started < 8

    token = clin.client.access_token
    assert pull(token).status_code == 200
    world.hub.sql("UPDATE users SET active = :f WHERE username = 'clin'", f=False)
    assert pull(token).json()["code"] == "account_inactive"
    world.hub.sql("UPDATE users SET active = :t WHERE username = 'clin'", t=True)
    assert pull(token).status_code == 200
    world.hub.revoke(clin.session.store.device_id, "stolen")
    assert pull(token).status_code == 403


# -- left open: a workstation's staff and their roles -------------------------------------------


def sign_in_there(world: World, desk: Desk, username: str) -> None:
    """A colleague signs in to the hub on this workstation (what their first sign-in there does)."""
    client = HubClient(world.hub.url, desk.session.store.device_id)
    try:
        client.login(username=username, password="Blue-Heron-Lantern-42", code=world.code(username),
                     device_name="shared laptop")
    finally:
        client.close()


def shared_laptop(world: World) -> tuple[Desk, Desk, str, str]:
    """The clinician's laptop, where the other clinician then signs in too: (admin's desk, laptop, a
    client of the clinician, a client of the other clinician)."""
    admin, laptop = world.desk("admin"), world.desk("clinician")
    clin_id, other_id = user_id(admin.session.store, "clin"), user_id(admin.session.store, "oclin")
    mine = register(admin, "Mine", clinician=clin_id)
    theirs = register(admin, "Theirs", clinician=other_id)
    assert admin.sync().ok and laptop.sync().ok
    assert laptop.client_row(mine) is not None and laptop.client_row(theirs) is None
    sign_in_there(world, laptop, "oclin")  # the laptop is shared from now on
    report = laptop.sync()
    assert report.ok, report.log_line()
    assert laptop.client_row(theirs) is not None  # their clients came without any new-epoch
    return admin, laptop, mine, theirs


def test_removing_a_person_from_a_workstation_takes_away_what_only_they_could_read(world: World) -> None:
    admin, laptop, mine, theirs = shared_laptop(world)

    device = laptop.session.store.device_id
    admin.client.refresh()
    answer = requests.post(f"{world.hub.url}/v1/devices/{device}/remove-person", json={"user": "oclin"},
                           headers={"Authorization": f"Bearer {admin.client.access_token}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["staff"] == ["clin"]
    report = laptop.sync()
    assert report.ok and report.rows_dropped >= 1, report.log_line()
    assert laptop.client_row(theirs) is None and laptop.client_row(mine) is not None
    refused = HubClient(world.hub.url, device)
    try:
        with pytest.raises(Exception, match="removed you from this workstation"):
            refused.login(username="oclin", password="Blue-Heron-Lantern-42", code=world.code("oclin"),
                          device_name="shared laptop")
    finally:
        refused.close()


def test_a_deactivation_or_a_role_change_rescopes_the_workstations_at_their_next_sync(world: World) -> None:
    admin, laptop, _mine, theirs = shared_laptop(world)
    clin_id, other_id = user_id(admin.session.store, "clin"), user_id(admin.session.store, "oclin")

    edit_user(admin, other_id, active=False)  # the colleague leaves the practice
    assert admin.sync().ok
    report = laptop.sync()
    assert report.ok and laptop.client_row(theirs) is None, report.log_line()

    edit_user(admin, clin_id, role="billing")  # billing reads every client's demographics
    assert admin.sync().ok
    report = laptop.sync()
    assert report.ok, report.log_line()
    assert laptop.client_row(theirs) is not None


def edit_user(desk: Desk, user: str, **values: object) -> None:
    edit_row(desk, User, user, **values)


def test_a_new_supervisor_assignment_rescopes_both_supervisors_workstations(world: World) -> None:
    admin, sup = world.desk("admin"), world.desk("supervisor")
    sup_id, other_id = user_id(admin.session.store, "sup"), user_id(admin.session.store, "oclin")
    theirs = register(admin, "Supervised", clinician=other_id)
    assert admin.sync().ok and sup.sync().ok
    assert sup.client_row(theirs) is None  # not (yet) on the supervisor's team
    edit_user(admin, other_id, supervisor_id=sup_id)
    assert admin.sync().ok
    report = sup.sync()
    assert report.ok and sup.client_row(theirs) is not None, report.log_line()
    edit_user(admin, other_id, supervisor_id=None)
    assert admin.sync().ok
    report = sup.sync()
    assert report.ok and report.rows_dropped >= 1 and sup.client_row(theirs) is None, report.log_line()
