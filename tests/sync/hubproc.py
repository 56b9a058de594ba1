"""A real hub for end-to-end tests: its own process on loopback, a temporary SQLite database, and a
small TCP proxy that can lose answers on the way back (the network failing in one direction).

The hub's database is seeded from the same template practice the desktop stores are copied from,
as a practice that moved to a hub would be; that is the only use of hub code in this process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, select, text, update

from mentalspace_desktop.hub.services import signatures
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import OutboxEntry, User
from mentalspace_desktop.store.opening import open_store
from mentalspace_desktop.sync.apply import MODELS
from tests.factories import ADMIN_PASSWORD, PracticeTemplate

HUB_APP = Path(__file__).resolve().parents[2] / "mentalspace_desktop" / "hub" / "app.py"
SEEDED_TABLES = ("practice", "users", "backup_codes", "clients", "insurances", "consents")

SERVE = """
import sys
from pathlib import Path
import uvicorn
from mentalspace_desktop.hub.app import create_app
from mentalspace_desktop.hub.settings import HubSettings
settings = HubSettings.load(Path(sys.argv[1]), port=int(sys.argv[2]), run_jobs=False, events_poll_seconds=0.1,
                            keepalive_seconds=1.0, database_url=sys.argv[3] if len(sys.argv) > 3 else None)
uvicorn.run(create_app(settings), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Hub:
    """One hub process (restartable) over one data directory."""

    def __init__(self, data_dir: Path, database_url: str | None = None) -> None:
        """``database_url``: a PostgreSQL database for the hub (default: SQLite in ``data_dir``)."""
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'hub.db'}"

    def seed(self, template: PracticeTemplate, totp_secrets: dict[str, str]) -> None:
        """Prepare the hub database and copy the template practice into it, every row logged."""
        from mentalspace_desktop.hub import db
        from mentalspace_desktop.hub import repository as repo

        self.data_dir.mkdir(parents=True, exist_ok=True)
        engine = db.make_engine(self.db_url)
        db.prepare(engine)
        source = open_store(StoreFiles(template.data_dir), template.master_key)
        try:
            with db.session_factory(engine)() as hub, hub.begin(), source.read() as local:
                for table in SEEDED_TABLES:
                    model = MODELS[table]
                    for obj in local.scalars(select(model)):
                        values = {c.key: getattr(obj, c.key) for c in model.__mapper__.column_attrs}
                        row = model(**values)
                        if table == "users" and row.username in totp_secrets:
                            row.totp_secret = totp_secrets[row.username]
                        repo.record_write(hub, row, op="insert", user_id=None, device_id=None)
                # The practice's clinical key stays the one its stores already hold (as import_store does).
                clinical = KeySlots.load(StoreFiles(template.data_dir).key_slots).open_slot(
                    "admin", ADMIN_PASSWORD).clinical_key
                assert clinical is not None
                signatures.adopt_clinical_key(hub, clinical)
        finally:
            source.close()
            engine.dispose()

    def start(self) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        args = [str(self.data_dir), str(self.port)] + ([self.database_url] if self.database_url else [])
        self.process = subprocess.Popen([sys.executable, "-c", SERVE, *args],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60  # a loaded 2-core machine needs long to import the hub
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("hub exited: " + (self.process.stderr.read() if self.process.stderr else
                                                     b"").decode(errors="replace")[-2000:])
            try:
                if requests.get(self.url + "/health", timeout=0.5).ok:
                    return
            except requests.RequestException:
                time.sleep(0.05)
        raise RuntimeError("hub did not start in time")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            if self.process.stderr:
                self.process.stderr.close()
            self.process = None

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Administrator's actions straight on the hub database (approve, revoke, inspect)."""
        engine = create_engine(self.db_url)
        try:
            with engine.begin() as conn:
                result = conn.execute(text(statement), params)
                return list(result) if result.returns_rows else []
        finally:
            engine.dispose()

    def approve(self, device_id: str) -> None:
        self.sql("UPDATE devices SET status = 'approved' WHERE id = :d", d=device_id)

    def revoke(self, device_id: str, reason: str) -> None:
        self.sql("UPDATE devices SET status = 'revoked', revoked_reason = :r WHERE id = :d",
                 d=device_id, r=reason)

    def backup(self, target: Path) -> None:
        """SQLite's online backup: includes what is still in the write-ahead log."""
        source, copy = sqlite3.connect(self.data_dir / "hub.db"), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()

    def restore(self, source: Path) -> None:
        """Put a backup back and change the epoch, as the hub's restore does."""
        from mentalspace_desktop.hub import db

        self.stop()
        for suffix in ("", "-wal", "-shm"):
            (self.data_dir / f"hub.db{suffix}").unlink(missing_ok=True)
        shutil.copy2(source, self.data_dir / "hub.db")
        engine = db.make_engine(self.db_url)
        try:
            db.new_epoch(engine)
        finally:
            engine.dispose()
        self.start()


def mark_everything_pushed(store: Any) -> None:
    """The template's own writes are already on the hub (it was seeded from them)."""
    with store.write() as s:
        s.execute(update(OutboxEntry).values(status="done"))


def user_id(store: Any, username: str) -> str:
    with store.read() as s:
        return str(s.scalar(select(User.id).where(User.username == username)))


class DroppingProxy:
    """Forwards loopback TCP to the hub; while ``drop_responses`` is set it swallows the answers.

    The request still reaches the hub and is committed there: exactly the lost-acknowledgement case.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.drop_responses = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                downstream, _ = self.server.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                downstream.close()
                continue
            threading.Thread(target=self._pipe, args=(downstream, upstream, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, downstream, True), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, is_response: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if is_response and self.drop_responses.is_set():
                    time.sleep(0.2)  # let the hub finish its commit, then cut the line
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()

    def close(self) -> None:
        self._closed = True
        self.server.close()
