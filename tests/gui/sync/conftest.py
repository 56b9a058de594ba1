"""Fixtures for the sync screens: a real hub process on loopback and workstations connected to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.gui.sync.controller import SyncController
from mentalspace_desktop.services.sync_status import SharedHubClient, open_shared_client
from tests.factories import PracticeTemplate
from tests.sync.conftest import MemoryKeyring, memory_keyring  # noqa: F401  (fixture)
from tests.sync.hubproc import HUB_APP
from tests.sync.test_end_to_end import Desk, World

WAIT = 20_000


@pytest.fixture
def world(tmp_path: Path, practice_template: PracticeTemplate,
          memory_keyring: MemoryKeyring) -> Iterator[World]:  # noqa: F811
    if not HUB_APP.exists():
        pytest.skip("the hub is not written yet")
    w = World(tmp_path, practice_template)
    yield w
    w.close()


def controller_for(desk: Desk, *, client: SharedHubClient | None = None, live: bool = False,
                   interval: float = 60.0) -> SyncController:
    """A controller with a long timer (runs happen when the test asks) and quick retries."""
    return SyncController(desk.session, client=client or open_shared_client(desk.session.store),
                          interval=interval, live=live, backoff_base=0.05, backoff_cap=0.2)
