"""An open store: the engine, who is writing, and transactions that always fill the outbox."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from mentalspace_desktop.store.engine import IMMEDIATE, busy_as_store_busy
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import SyncState
from mentalspace_desktop.store.outbox import record_outbox
from mentalspace_desktop.store.signing import sign_outbox


class StoreSession(Session):
    """A session whose flushes record synced writes in the outbox."""


event.listen(StoreSession, "before_flush", record_outbox)
event.listen(StoreSession, "before_flush", sign_outbox)  # after the outbox: signs its new entries


class Store:
    """One open encrypted store. Writes are serialised: the audit chain and the outbox need one order."""

    def __init__(self, files: StoreFiles, engine: Engine, master_key: bytes, schema_version: str) -> None:
        self.files = files
        self.engine = engine
        self.schema_version = schema_version
        self._master_key = master_key
        self._sessions = sessionmaker(engine, class_=StoreSession, expire_on_commit=False)
        self._write_lock = threading.RLock()
        self.workstation = socket.gethostname()[:100] or "workstation"
        self.device_id = self.get_state("device_id") or ""

    @property
    def data_dir(self) -> Path:
        return self.files.data_dir

    @property
    def master_key(self) -> bytes:
        return self._master_key

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; anything written in it is discarded."""
        with self._sessions() as session, busy_as_store_busy():
            try:
                yield session
            finally:
                session.expunge_all()  # loaded objects stay readable after the session ends
                session.rollback()

    @contextmanager
    def write(self, user_id: str | None = None) -> Iterator[Session]:
        """A transaction that commits on success and records its synced writes in the outbox."""
        with self._write_lock, self._sessions() as session, busy_as_store_busy():
            session.info.update(user_id=user_id, device_id=self.device_id, schema_version=self.schema_version)
            with session.begin():
                # BEGIN IMMEDIATE: take the write lock now, waiting up to the busy timeout, rather than
                # upgrade a read transaction later (which another process's commit makes fail at once).
                session.connection(execution_options={IMMEDIATE: True})
                yield session

    def get_state(self, key: str) -> str | None:
        with self.read() as session:
            return session.scalar(select(SyncState.value).where(SyncState.key == key))

    def practice_name(self) -> str:
        """The practice's name (the password policy refuses passwords made of it)."""
        from mentalspace_desktop.store.models import Practice

        with self.read() as session:
            return session.scalar(select(Practice.name).limit(1)) or ""

    def close(self) -> None:
        self.engine.dispose()
