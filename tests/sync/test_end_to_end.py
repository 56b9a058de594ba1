"""Desktop stores syncing through a real hub process on loopback (DESIGN.md, Sync, scenario by scenario)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services import totp
from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.services.session import Actor, UserSession
from mentalspace_desktop.store import signing
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import Client, OutboxEntry, User
from mentalspace_desktop.store.signing import Signer
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.engine import Progress, SyncEngine, SyncReport
from mentalspace_desktop.sync.enroll import connect, open_client
from mentalspace_desktop.sync.errors import DeviceRevoked, HubUnreachable, UpdateRequired
from mentalspace_desktop.sync.outbox_reader import pending_count, rejections
from mentalspace_desktop.sync.scheduler import SyncScheduler
from tests.factories import PracticeFixture, PracticeTemplate, practice_from_template
from tests.sync.conftest import MemoryKeyring, give_new_device_id
from tests.sync.hubproc import HUB_APP, DroppingProxy, Hub, mark_everything_pushed, user_id

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(),
                       reason="the hub (mentalspace_desktop/hub/app.py) is not written yet"),
]

USERS = {"admin": "admin", "clinician": "clin", "other_clinician": "oclin", "front_desk": "desk", "billing": "bill",
         "supervisor": "sup"}


@dataclass
class Desk:
    """One workstation: its store, its hub client, and who is signed in."""

    practice: PracticeFixture
    session: UserSession
    client: HubClient

    def engine(self, **kwargs: Any) -> SyncEngine:
        return SyncEngine(self.session.store, self.client, self.session.actor.user_id, **kwargs)

    def sync(self, **kwargs: Any) -> SyncReport:
        return self.engine(**kwargs).run_once()

    def client_row(self, client_id: str) -> Client | None:
        with self.session.store.read() as s:
            return s.get(Client, client_id)

    def count_clients(self) -> int:
        with self.session.store.read() as s:
            return int(s.scalar(select(func.count()).select_from(Client)) or 0)


class World:
    def __init__(self, tmp: Path, template: PracticeTemplate, database_url: str | None = None) -> None:
        self.tmp = tmp
        self.template = template
        self.secrets = {u: totp.new_secret() for u in USERS.values() if u != "admin"}
        self.secrets["admin"] = template.admin_totp_secret
        self.hub = Hub(tmp / "hub", database_url)
        self.hub.seed(template, self.secrets)
        self.hub.start()
        self.desks: list[Desk] = []
        self.logins: dict[str, int] = {}

    def code(self, username: str) -> str:
        """A fresh code per sign-in: each one may be used once, so later sign-ins use the next step."""
        n = self.logins.get(username, 0)
        self.logins[username] = n + 1
        import pyotp

        when = datetime.now(UTC) + timedelta(seconds=30 * n)
        return pyotp.TOTP(self.secrets[username]).at(when)

    def desk(self, key: str, *, url: str | None = None, approve: bool = True,
             before_joining: Any = None) -> Desk:
        number = len(self.desks)
        while (self.tmp / f"desk{number}").exists():  # a desk that failed to join left its folder
            number += 1
        practice = practice_from_template(self.template, self.tmp / f"desk{number}")
        give_new_device_id(practice.admin.store)
        mark_everything_pushed(practice.admin.store)
        username = USERS[key]
        with practice.admin.store.read() as s:
            row = s.scalars(select(User).where(User.username == username)).one()
        actor = Actor(row.id, row.username, row.full_name, Role(row.role))
        password = "Quiet-Maple-Orchard-17" if key == "admin" else "Blue-Heron-Lantern-42"
        opened = practice.admin.slots.open_slot(username, password)  # what a sign-in here would hold
        session = UserSession(practice.admin.store, practice.admin.slots, actor, clinical_key=opened.clinical_key,
                              signing_key=opened.signing_key)
        assert opened.signing_key is not None
        signing.install(session.store.engine, Signer(row.id, opened.signing_key))  # as their sign-in does
        if before_joining is not None:
            before_joining(practice)
        conn, client = connect(session.store, url or self.hub.url, username=username, password=password,
                               code=self.code(username), device_name=f"desk {key}", signing_key=opened.signing_key)
        assert conn.status == "pending"
        if approve:
            self.hub.approve(session.store.device_id)
        desk = Desk(practice, session, client)
        self.desks.append(desk)
        return desk

    def close(self) -> None:
        for desk in self.desks:
            desk.client.close()
            desk.practice.close()
        self.hub.stop()


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def register(desk: Desk, last: str, clinician: str | None = None) -> str:
    data = ClientInput(first_name="Sam", last_name=last, dob=datetime(1988, 6, 1).date(),
                       primary_clinician_id=clinician)
    return ClientService(desk.session).register(data).id


def edit(desk: Desk, client_id: str, **values: object) -> None:
    edit_row(desk, Client, client_id, **values)


def edit_row(desk: Desk, model: type[Any], row_id: str, **values: object) -> None:
    """Change a row straight in the store, as the desk's user (the outbox records it)."""
    with desk.session.store.write(desk.session.actor.user_id) as s:
        row = s.get(model, row_id)
        assert row is not None
        for k, v in values.items():
            setattr(row, k, v)


# -- scenarios ------------------------------------------------------------------------------------


def test_a_change_on_one_desktop_reaches_another(world: World) -> None:
    a, b = world.desk("admin"), world.desk("admin")
    first = a.sync()
    assert first.ok, first.error
    assert b.sync().ok
    client_id = register(a, "Okafor")
    report = a.sync()
    assert report.ok and report.pushed >= 1, report.log_line()
    assert b.client_row(client_id) is None
    got = b.sync()
    assert got.ok and got.rows_new >= 1
    row = b.client_row(client_id)
    assert row is not None and row.last_name == "Okafor" and row.server_seq
    assert a.client_row(client_id).server_seq == row.server_seq  # type: ignore[union-attr]
    assert b.sync().rows_new == 0  # nothing twice
    runs = world.hub.sql("SELECT count(*) FROM sync_runs WHERE device_id = :d", d=a.session.store.device_id)
    assert runs[0][0] >= 2  # the hub keeps the sync log too
    assert "sync ok: pushed" in report.log_line()


def test_lost_acknowledgement_neither_loses_nor_doubles(world: World) -> None:
    proxy = DroppingProxy(world.hub.port)
    try:
        a, b = world.desk("admin", url=proxy.url), world.desk("admin")
        a.client.read_timeout = 3
        assert a.sync().ok and b.sync().ok
        client_id = register(a, "Lostack")
        proxy.drop_responses.set()
        failed = a.sync()
        assert not failed.ok and isinstance(failed.failure, HubUnreachable)
        assert pending_count(a.session.store) > 0  # not acknowledged: still waiting here
        proxy.drop_responses.clear()
        again = a.sync()
        assert again.ok, again.error
        assert pending_count(a.session.store) == 0
        assert b.sync().ok
        with b.session.store.read() as s:
            same = select(func.count()).select_from(Client).where(Client.last_name == "Lostack")
            assert s.scalar(same) == 1
        assert world.hub.sql("SELECT count(*) FROM clients WHERE id = :i", i=client_id)[0][0] == 1
    finally:
        proxy.close()


def test_hub_down_before_the_push_then_the_timer_drains_the_outbox(world: World) -> None:
    a = world.desk("admin")
    assert a.sync().ok
    client_id = register(a, "Offline")
    world.hub.stop()
    drained = threading.Event()

    def run() -> SyncReport:
        report = a.sync()
        if report.ok and pending_count(a.session.store) == 0:
            drained.set()
        return report

    scheduler = SyncScheduler(run, interval=60, base=0.05, cap=0.3)
    scheduler.start()
    try:
        threading.Event().wait(0.5)
        assert not drained.is_set() and scheduler.failures >= 1
        world.hub.start()  # no new local write, no trigger: backoff retries alone must drain it
        assert drained.wait(15)
    finally:
        scheduler.stop()
    assert world.hub.sql("SELECT last_name FROM clients WHERE id = :i", i=client_id) == [("Offline",)]


def test_concurrent_edits_merge_or_record_a_conflict(world: World) -> None:
    a, b = world.desk("admin"), world.desk("admin")
    client_id = register(a, "Shared")
    assert a.sync().ok and b.sync().ok
    edit(a, client_id, city="Athens")
    edit(b, client_id, phone_home="4045550100")
    assert a.sync().ok and b.sync().ok and a.sync().ok
    for desk in (a, b):
        row = desk.client_row(client_id)
        assert row is not None and (row.city, row.phone_home) == ("Athens", "4045550100")
    edit(a, client_id, city="Macon")
    edit(b, client_id, city="Augusta")
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.conflicts == 1
    assert a.sync().ok
    assert a.client_row(client_id).city == b.client_row(client_id).city == "Augusta"  # type: ignore[union-attr]
    conflicts = world.hub.sql("SELECT field, hub_value, device_value FROM conflicts WHERE row_id = :i",
                              i=client_id)
    assert [(f, h, d) for f, h, d in conflicts] == [("city", '"Macon"', '"Augusta"')]
    edit(a, client_id, deleted=True)
    edit(b, client_id, city="Valdosta")
    assert a.sync().ok
    report = b.sync()
    assert report.ok and report.conflicts == 1  # a delete against an edit is a conflict, not a silent win


def _reassign_with_offline_edit(world: World) -> tuple[Desk, Desk, str]:
    admin = world.desk("admin")
    clin = world.desk("clinician")
    other = world.desk("other_clinician")
    clin_id, other_id = user_id(admin.session.store, "clin"), user_id(admin.session.store, "oclin")
    client_id = register(admin, "Moving", clinician=clin_id)
    assert admin.sync().ok and clin.sync().ok and other.sync().ok
    assert clin.client_row(client_id) is not None and other.client_row(client_id) is None
    edit(clin, client_id, phone_mobile="4045550199")  # offline, on the clinician's laptop
    edit(admin, client_id, primary_clinician_id=other_id)
    assert admin.sync().ok
    report = clin.sync()
    assert report.ok, report.error
    assert report.pushed >= 1  # the edit went out before the drop was applied
    assert report.rows_dropped >= 1 and clin.client_row(client_id) is None
    assert pending_count(clin.session.store) == 0
    return clin, other, client_id


def test_reassigned_client_offline_edits_reach_the_new_owner(world: World) -> None:
    clin, other, client_id = _reassign_with_offline_edit(world)
    assert other.sync().ok
    assert rejections(clin.session.store) == []
    assert other.client_row(client_id).phone_mobile == "4045550199"  # type: ignore[union-attr]


def test_front_desk_never_receives_tables_outside_its_scope(world: World) -> None:
    from mentalspace_desktop.domain.roles import Action, allows_any
    from mentalspace_desktop.sync.tables import TABLES

    admin, desk = world.desk("admin"), world.desk("front_desk")
    register(admin, "Deskview")
    assert admin.sync().ok
    report = desk.sync()
    assert report.ok, report.error
    allowed = {name for name, spec in TABLES.items()
               if spec.resource is None or allows_any(Role.FRONT_DESK, spec.resource, Action.READ)}
    assert report.tables_pulled and report.tables_pulled <= allowed
    assert not any(spec.resource and spec.resource.value == "note_content" for name, spec in TABLES.items()
                   if name in report.tables_pulled)


@pytest.mark.parametrize("offset", [timedelta(minutes=5, seconds=30), timedelta(days=1)])
def test_a_wrong_device_clock_warns_but_ordering_is_unaffected(world: World, offset: timedelta) -> None:
    a, b = world.desk("admin"), world.desk("admin")
    client_id = register(a, "Clock")
    report = a.sync(device_clock=lambda: datetime.now(UTC) - offset)
    assert report.ok and report.warnings, report.log_line()
    assert report.clock_skew_seconds is not None and abs(report.clock_skew_seconds) >= 300
    assert b.sync().ok
    edit(b, client_id, city="Later")
    assert b.sync(device_clock=lambda: datetime.now(UTC) + offset).ok
    assert a.sync(device_clock=lambda: datetime.now(UTC) - offset).ok
    assert a.client_row(client_id).city == "Later"  # type: ignore[union-attr]


def test_hub_restored_from_backup_gets_the_outbox_first_then_a_fresh_snapshot(world: World) -> None:
    a = world.desk("admin")
    assert a.sync().ok
    backup = world.tmp / "hub-backup.db"
    world.hub.stop()
    world.hub.backup(backup)
    world.hub.start()
    acknowledged = register(a, "AfterBackup")  # reaches the hub, which then loses it in the restore
    assert a.sync().ok
    world.hub.restore(backup)
    waiting = register(a, "WhileRestoring")
    report = a.sync()
    assert report.ok and report.epoch_changed, report.log_line()
    assert pending_count(a.session.store) == 0
    names = {r[0] for r in world.hub.sql("SELECT last_name FROM clients")}
    assert {"AfterBackup", "WhileRestoring"} <= names  # nothing written here was lost
    assert a.client_row(acknowledged) is not None and a.client_row(waiting) is not None
    assert a.session.store.get_state(state.EPOCH) == world.hub.sql("SELECT value FROM hub_settings "
                                                                   "WHERE key = 'epoch'")[0][0]


def test_an_interrupted_first_sync_resumes_where_it_stopped(world: World) -> None:
    a = world.desk("admin")
    for i in range(6):
        register(a, f"Bulk{i}")
    assert a.sync().ok
    b = world.desk("admin")
    stop = threading.Event()
    pages: list[Progress] = []

    def progress(p: Progress) -> None:
        if p.phase == "pull":
            pages.append(p)
            stop.set()  # the user closes the window after the first page

    first = b.sync(page_size=4, interrupt=stop, progress=progress)
    assert first.ok and first.interrupted and len(pages) == 1
    cursor = state.current_cursor(b.session.store)
    assert state.cursor_seq(cursor) > 0
    rest = b.sync(page_size=4)
    assert rest.ok and not rest.interrupted and rest.pages >= 2
    with b.session.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Client).where(Client.last_name.like("Bulk%"))) == 6


def test_an_older_client_is_refused_cleanly(world: World) -> None:
    a = world.desk("admin")
    old = HubClient(world.hub.url, a.session.store.device_id, app_version="0.0.1")
    with pytest.raises(UpdateRequired) as caught:
        old.handshake(a.session.store.schema_version)
    old.close()
    assert "update" in caught.value.message.lower()
    a.client.app_version = "0.0.1"
    report = a.sync()
    assert not report.ok and isinstance(report.failure, UpdateRequired)
    assert pending_count(a.session.store) == pending_count(a.session.store)  # nothing was touched


def test_a_refused_change_is_kept_and_shown_to_its_author(world: World) -> None:
    """No notes table yet: the same rule (a refused edit advances the queue, is kept, is shown) via
    a change the author's role may not make — the front desk renaming a colleague."""
    admin = world.desk("admin")
    client_id = register(admin, "Deskedit")
    assert admin.sync().ok
    desk = world.desk("front_desk")
    assert desk.sync().ok
    with desk.session.store.write(desk.session.actor.user_id) as s:
        s.scalars(select(User).where(User.username == "sup")).one().full_name = "Renamed By The Desk"
    edit(desk, client_id, city="Albany")  # allowed, and queued after the refused one
    report = desk.sync()
    assert report.ok and report.rejected == 1, report.log_line()
    assert pending_count(desk.session.store) == 0  # the queue moved on past the refusal
    mine = rejections(desk.session.store, author_id=desk.session.actor.user_id)
    assert len(mine) == 1 and mine[0].table == "users" and "administrator" in mine[0].reason
    assert world.hub.sql("SELECT city FROM clients WHERE id = :i", i=client_id) == [("Albany",)]
    with desk.session.store.read() as s:
        refused = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == "rejected")
        outbox = s.scalar(refused)
        sup = s.scalars(select(User).where(User.username == "sup")).one()
    assert outbox == 1
    assert sup.full_name == "Renamed By The Desk"  # local value stays until the hub's row comes again


def test_a_revoked_device_destroys_its_key_slots(world: World) -> None:
    a = world.desk("admin")
    assert a.sync().ok
    world.hub.revoke(a.session.store.device_id, "laptop reported stolen")
    with pytest.raises(DeviceRevoked) as caught:
        a.sync()
    assert "stolen" in caught.value.message or caught.value.reason
    assert KeySlots.load(a.practice.files.key_slots).usernames() == []
    assert open_client(a.session.store).refresh_token is None


def test_a_crash_while_applying_the_answer_resends_without_doubling(world: World,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from mentalspace_desktop.sync import engine
    from mentalspace_desktop.sync.outbox_reader import PushTally

    class PowerCut(PushTally):
        """Fails inside the local transaction that records the hub's answer."""

        def __setattr__(self, name: str, value: object) -> None:
            if name == "pushed" and value:
                raise OSError("power cut while applying the hub's answer")
            super().__setattr__(name, value)

    a, b = world.desk("admin"), world.desk("admin")
    assert a.sync().ok
    register(a, "Applycrash")
    monkeypatch.setattr(engine, "PushTally", PowerCut)
    with pytest.raises(OSError):
        a.sync()
    assert pending_count(a.session.store) > 0  # the hub committed, this store did not record it
    monkeypatch.undo()
    again = a.sync()
    assert again.ok and pending_count(a.session.store) == 0
    assert b.sync().ok
    assert world.hub.sql("SELECT count(*) FROM clients WHERE last_name = 'Applycrash'") == [(1,)]
    with b.session.store.read() as s:
        assert s.scalar(select(func.count()).select_from(Client).where(Client.last_name == "Applycrash")) == 1


def test_connect_and_sync_commands(world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pyotp

    from mentalspace_desktop.cli import main

    practice = practice_from_template(world.template, tmp_path / "cli-desk")
    device_id = give_new_device_id(practice.admin.store)
    mark_everything_pushed(practice.admin.store)
    practice.close()
    password = tmp_path / "pw"
    password.write_text("Quiet-Maple-Orchard-17\n")
    secret = world.secrets["admin"]
    assert main(["connect", "--data-dir", str(practice.data_dir), "--hub", world.hub.url,
                 "--user", "admin", "--password-file", str(password),
                 "--totp", pyotp.TOTP(secret).now()]) == 0
    out = capsys.readouterr().out
    assert f"ask an administrator to approve device {device_id}, then run mentalspace sync" in out
    world.hub.approve(device_id)
    later = pyotp.TOTP(secret).at(datetime.now(UTC) + timedelta(seconds=30))
    assert main(["sync", "--data-dir", str(practice.data_dir), "--user", "admin",
                 "--password-file", str(password), "--totp", later]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith("sync ok: pushed ") and line.endswith(" ms")
    world.hub.stop()
    assert main(["sync", "--data-dir", str(practice.data_dir), "--user", "admin",
                 "--password-file", str(password), "--totp", world.template.backup_codes[0]]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("sync failed: The hub cannot be reached")


def test_joining_a_hub_erases_the_workstations_own_messaging_settings(world: World) -> None:
    from mentalspace_desktop.services.messaging_settings import MessagingSettingsService, SmtpInput, smtp_settings

    def solo_settings(practice: PracticeFixture) -> None:
        MessagingSettingsService(practice.admin).save_smtp(SmtpInput(
            "smtp.riverside.example", username="frontdesk", password="app-password-3141",
            sender="frontdesk@riverside.example"))
        assert smtp_settings(practice.admin.store) is not None

    desk = world.desk("front_desk", before_joining=solo_settings)
    assert smtp_settings(desk.session.store) is None  # the hub sends now; the password is not kept here
