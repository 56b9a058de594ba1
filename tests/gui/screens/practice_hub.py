"""A practice on a real hub, for the sync screens: one hub process and the workstations joined to it.

The other screens use the solo demo practice; the Sync, Devices, hub-log and Conflicts pages and the
hub sign-in dialog only exist in practice mode, so they are opened on workstations of a small practice
moved to a hub (the one the sync tests use: SQLite, loopback, a free port). Before any screen opens,
the workstations have really synced, so the pages show real rows:

- the front desk PC (the administrator's): several runs logged, one that pushed a new client;
- Casey's laptop (the clinician's): synced, then both changed the same client's city while apart,
  so the hub recorded a conflict that both workstations now hold;
- the reception tablet: joined but not approved yet ("Waiting for approval" on the Devices page);
- the back-office PC: its hub sign-in is gone (no keyring and a restart), so it asks for a hub sign-in.

Built once per test process and only when a sync screen is checked. Everything lives in the
process's own temporary folder and the hub listens on its own free port, so two xdist workers (or the
1.5x child process) never share a file or a port. The hub tokens live in a keyring of this process's
own (:class:`MemoryKeyring`), put in place only while a sync screen is open, so the tests around
them keep the keyring they expect.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import keyring

from mentalspace_desktop.gui.sync.controller import SyncController
from mentalspace_desktop.sync.credentials import HubCredential, forget_session_tokens
from mentalspace_desktop.sync.engine import SyncReport
from tests.factories import PracticeTemplate
from tests.sync.conftest import MemoryKeyring
from tests.sync.test_end_to_end import Desk, World, edit, register, user_id


class PracticeOnHub:
    """The hub and its four workstations (see the module's docstring), ready for screens to open."""

    def __init__(self, folder: Path, template: PracticeTemplate) -> None:
        self.keyring = MemoryKeyring()
        with self.keyring_in_place():
            self.world = World(folder, template)
            try:
                self._join_and_sync()
            except BaseException:
                self.world.close()
                raise

    def _join_and_sync(self) -> None:
        w = self.world
        self.front_desk = w.desk("admin", name="Front desk PC")
        self.laptop = w.desk("clinician", name="Casey's laptop")
        self.tablet = w.desk("front_desk", name="Reception tablet", approve=False)
        self.back_office = w.desk("admin", name="Back office PC")
        for desk in (self.front_desk, self.laptop, self.back_office):
            _synced(desk)
        client_id = register(self.front_desk, "Okafor", clinician=user_id(self.front_desk.session.store, "clin"))
        _synced(self.front_desk)  # pushes the new client
        _synced(self.laptop)  # the clinician's laptop receives it
        edit(self.front_desk, client_id, city="Macon")  # both change the city while apart
        edit(self.laptop, client_id, city="Augusta")
        _synced(self.front_desk)
        assert _synced(self.laptop).conflicts == 1  # the later arrival stands; the hub records the conflict
        _synced(self.front_desk)  # the front desk receives the laptop's city and the conflict
        self.conflict_client = client_id
        # The workstations' windows open their own hub client from the keyring (one client per store:
        # refresh tokens rotate), so the clients that joined are put away.
        for desk in w.desks:
            desk.client.close()
        HubCredential(w.hub.url, self.back_office.session.store.device_id).delete()

    @contextlib.contextmanager
    def keyring_in_place(self) -> Iterator[MemoryKeyring]:
        """The workstations' keyring, for as long as their windows sync."""
        previous = keyring.get_keyring()
        keyring.set_keyring(self.keyring)
        forget_session_tokens()
        try:
            yield self.keyring
        finally:
            keyring.set_keyring(previous)
            forget_session_tokens()

    def desk_for(self, role: str) -> Desk:
        """The workstation a role's screens are opened on (its user signed in there)."""
        return {"admin": self.front_desk, "clinician": self.laptop}[role]

    def controller(self, desk: Desk) -> SyncController:
        """The desk's sync, without live updates: one run at start and none while a screen is looked
        at (a live announcement would start another run and turn the page to "Syncing…" meanwhile)."""
        return SyncController(desk.session, live=False)

    def close(self) -> None:
        with self.keyring_in_place():
            self.world.close()


def _synced(desk: Desk) -> SyncReport:
    report = desk.sync()
    assert report.ok, report.log_line()
    return report

