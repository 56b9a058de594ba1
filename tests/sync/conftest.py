"""Fixtures for sync tests: practice stores that behave like separate workstations."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import pytest
from keyring.backend import KeyringBackend

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.services import audit
from mentalspace_desktop.store.audit_anchor import HUB_HEAD_KEY
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import SyncState
from mentalspace_desktop.sync import credentials


def give_new_device_id(store: Store) -> str:
    """Copies of one template share a device id; a real second workstation never would.

    A real workstation's audit chain also starts afresh: the copied chain heads (its own and the one
    the hub acknowledged) name the template's chain, so they go with the old identity.
    """
    device_id = new_id()
    with store.write() as s:
        row = s.get(SyncState, "device_id")
        assert row is not None
        row.value = device_id
        for key in (audit.HEAD_KEY, HUB_HEAD_KEY):
            head = s.get(SyncState, key)
            if head is not None:
                s.delete(head)
    store.device_id = device_id
    return device_id


class MemoryKeyring(KeyringBackend):
    """A keyring that works, for tests only (the product never writes a token to a file)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.saved: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.saved.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.saved[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.saved.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    credentials.forget_session_tokens()
    yield backend
    keyring.set_keyring(previous)
    credentials.forget_session_tokens()
