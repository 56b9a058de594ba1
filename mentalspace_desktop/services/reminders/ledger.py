"""Where the reminder engine reads and writes: a workstation's store, or the hub's database.

The engine is the same plain code in both places; only how a write is recorded differs. On a
workstation (solo mode) the store's own transaction records every synced write in the outbox. On the
hub every synced row the engine writes must be stamped and numbered into the change log in the same
transaction, or workstations would never pull it: the hub's ledger
(``mentalspace_desktop.hub.services.reminders.HubLedger``) does that for whatever the transaction flushed.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.orm import Session

from mentalspace_desktop.store.database import Store

BY_REPLY = "client (by reply)"
"""The audit log's ``username`` for what a client changed by answering a reminder (no member of staff)."""


class Ledger(Protocol):
    def read(self) -> AbstractContextManager[Session]:
        """A session to read in; nothing written in it is kept."""
        ...

    def write(self) -> AbstractContextManager[Session]:
        """A transaction that commits on success (and records its synced writes for sync)."""
        ...

    def audit(self, s: Session, *, action: str, record_type: str, record_id: str | None, client_id: str | None,
              summary: str) -> None:
        """An audit entry, in ``s``'s transaction, for a change nobody on staff made (a client's reply)."""
        ...


class StoreLedger:
    """A workstation's store: the outbox hook records synced writes by itself."""

    def __init__(self, store: Store, user_id: str | None = None, username: str | None = None) -> None:
        """``user_id``/``username``: who is signed in where a client's reply is read (solo polling). Its
        audit entries then name that person as the one whose workstation recorded the reply, since a
        hub accepts an entry naming nobody only for a sign-in attempt (the workstation may join one
        later); without them, entries name the client by reply."""
        self.store = store
        self.user_id = user_id
        self.username = username

    def read(self) -> AbstractContextManager[Session]:
        return self.store.read()

    def write(self) -> AbstractContextManager[Session]:
        return self.store.write(self.user_id)

    def audit(self, s: Session, *, action: str, record_type: str, record_id: str | None, client_id: str | None,
              summary: str) -> None:
        from mentalspace_desktop.services import audit

        username = BY_REPLY
        if self.user_id is not None and self.username:
            username, summary = self.username, f"{summary} — by the client's reply, read on this workstation"
        audit.append(s, self.store, user_id=self.user_id, username=username, action=action,
                     record_type=record_type, record_id=record_id, client_id=client_id, summary=summary)
