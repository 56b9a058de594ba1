"""Property: whatever the order of writes, syncs, lost answers, crashes, backups and restores, every
committed change ends on the hub or is shown to its author as refused.

One real hub process for the whole test; each example is a fresh workstation (its own device) that
runs a generated story. A "restore" puts the workstation's latest backup in a new folder and works
on from there, as after a lost disk: what the lost store had not synced is gone with it (no backup
holds it), everything else must arrive. Kept to a few examples so it runs in well under a minute.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mentalspace_desktop.services.backup import write_backup
from mentalspace_desktop.store.models import OutboxEntry
from mentalspace_desktop.sync.errors import HubUnreachable
from mentalspace_desktop.sync.outbox_reader import rejections
from tests.factories import PracticeTemplate
from tests.sync.conftest import MemoryKeyring
from tests.sync.hubproc import HUB_APP
from tests.sync.test_continuity import restored_desk
from tests.sync.test_end_to_end import World, edit, register

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not HUB_APP.exists(), reason="the hub is not written yet"),
]

STEPS = st.sampled_from(["write", "write", "edit", "sync", "sync", "lost_answer", "offline", "refused",
                         "backup", "restore"])
WORK = st.lists(STEPS, min_size=1, max_size=4)
# A story: some work, a backup, more work (synced or not), a restore, then work on the restored store.
STORIES = st.builds(lambda a, b, c: [*a, "backup", *b, "restore", *c], WORK, WORK, WORK)


@pytest.fixture(scope="module")
def shared_world(tmp_path_factory: pytest.TempPathFactory,
                 practice_template: PracticeTemplate) -> Iterator[World]:
    import keyring

    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    w = World(tmp_path_factory.mktemp("property"), practice_template)
    try:
        yield w
    finally:
        w.close()
        keyring.set_keyring(previous)


class Story:
    """One workstation's life: its current store, its latest backup, and what the hub acknowledged."""

    def __init__(self, world: World, number: int) -> None:
        self.world = world
        self.number = number
        # Each example joins a new workstation with a hub sign-in; one-time codes may not be used twice,
        # so the hub forgets the last one used (as if the next example came half a minute later).
        world.hub.sql("UPDATE users SET totp_last_step = NULL WHERE username = 'admin'")
        world.hub.sql("DELETE FROM hub_login_attempts")
        world.logins["admin"] = 0
        self.desk = world.desk("admin")
        self.clients: list[str] = []
        self.backup: Path | None = None
        self.restores = 0
        self.acknowledged: set[str] = set()  # change ids any store of this workstation saw as done

    def _remember_acknowledged(self) -> None:
        with self.desk.session.store.read() as s:
            self.acknowledged |= set(s.scalars(select(OutboxEntry.change_id).where(OutboxEntry.status == "done")))

    def step(self, name: str) -> None:
        desk = self.desk
        if name == "write":
            self.clients.append(register(desk, f"P{self.number}-{len(self.clients)}"))
        elif name == "edit" and self.clients:
            with desk.session.store.read() as s:
                from mentalspace_desktop.store.models import Client

                here = [c for c in self.clients if s.get(Client, c) is not None]
            if here:
                edit(desk, here[-1], city=f"City{len(self.acknowledged)}")
        elif name == "refused":  # a change the hub refuses: an audit entry is never edited
            from mentalspace_desktop.store.models import AuditEntry

            with desk.session.store.write(desk.session.actor.user_id) as s:
                entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
                if entry is not None:
                    entry.summary = entry.summary + " (changed)"
        elif name == "sync":
            desk.sync()
        elif name == "lost_answer":
            self._push_fails(reaches_hub=True)
        elif name == "offline":
            self._push_fails(reaches_hub=False)
        elif name == "backup":
            self.backup = desk.practice.data_dir.parent / f"story{self.number}-{self.restores}.msbackup"
            self.backup.unlink(missing_ok=True)
            write_backup(desk.session, self.backup)
        elif name == "restore" and self.backup is not None:
            self._remember_acknowledged()
            self.restores += 1
            folder = desk.practice.data_dir.parent / f"story{self.number}-restored{self.restores}"
            self.desk = restored_desk(self.world, desk, self.backup, folder)
        self._remember_acknowledged()

    def _push_fails(self, *, reaches_hub: bool) -> None:
        """``reaches_hub``: the hub commits the push but the answer never arrives (or the workstation
        dies before writing it down); otherwise the network is down. Either way it stays pending."""
        client = self.desk.client
        real = client.push

        def push(changes: list[Any]) -> dict[str, Any]:
            if reaches_hub:
                real(changes)
            raise HubUnreachable("the answer was lost on the way back")

        client.push = push  # type: ignore[method-assign]
        try:
            self.desk.sync()
        finally:
            client.push = real  # type: ignore[method-assign]

    def settle(self) -> None:
        for _ in range(4):
            report = self.desk.sync()
            assert report.ok, report.log_line()
            with self.desk.session.store.read() as s:
                if not s.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending")).first():
                    break
        self._remember_acknowledged()

    def check(self) -> None:
        store = self.desk.session.store
        device = store.device_id
        on_hub = {cid: outcome for cid, outcome in self.world.hub.sql(
            "SELECT change_id, outcome FROM device_changes WHERE device_id = :d", d=device)}
        with store.read() as s:
            entries = list(s.scalars(select(OutboxEntry)))
        refused = {r.change_id for r in rejections(store)}
        for entry in entries:
            assert entry.status != "pending", f"change {entry.device_seq} still waits after settling"
            if entry.status == "rejected":
                assert entry.change_id in refused  # shown to its author
                continue
            if entry.change_id in on_hub:
                assert on_hub[entry.change_id] != "rejected"
            else:  # pushed before this workstation joined the hub (the practice's own setup)
                assert entry.device_seq <= self.first_seq, f"change {entry.device_seq} never reached the hub"
        missing = {c for c in self.acknowledged if c not in on_hub} - self.before_hub
        assert not missing, f"{len(missing)} acknowledged change(s) are not on the hub"
        with store.read() as s:
            from mentalspace_desktop.store.models import Client

            mine = [c for c in self.clients if s.get(Client, c) is not None]
        names = {r[0] for r in self.world.hub.sql("SELECT id FROM clients")}
        assert set(mine) <= names

    def start(self) -> None:
        with self.desk.session.store.read() as s:
            done = list(s.scalars(select(OutboxEntry).where(OutboxEntry.status == "done")))
        self.first_seq = max((e.device_seq for e in done), default=0)
        self.before_hub = {e.change_id for e in done}  # the template's own writes, seeded into the hub


@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(steps=["write", "sync", "backup", "edit", "sync", "restore", "write", "edit"])  # the story
@given(steps=STORIES)
def test_every_committed_change_reaches_the_hub_or_is_shown_refused(shared_world: World,
                                                                    steps: list[str]) -> None:
    number = len(shared_world.desks)
    story = Story(shared_world, number)
    story.start()
    for name in ["write", "sync", *steps]:
        story.step(name)
    story.settle()
    story.check()
