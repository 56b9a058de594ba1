"""Shared helpers for the sync benchmarks (and tests/hub/test_multiprocess.py): real hub processes.

- :class:`HubProcess` runs ``mentalspace-hub serve`` (the console script) on a loopback port, its
  output in a log file, and always stops it (terminate, then kill).
- :func:`pg_database` makes a throw-away PostgreSQL database and drops it afterwards, even on failure.
- :func:`make_template` builds a practice store once (cheap key slots: they are not measured);
  :func:`seed_hub` copies its practice and staff into a hub database as the hub writes them, and
  :func:`load_clients` adds many client rows straight into the hub with numbers and change-log
  entries, as :mod:`mentalspace_desktop.hub.repository` would (one transaction, one counter bump).
- :func:`desktop` copies the template into a new workstation store; :func:`enroll` signs it in to
  the hub through the product's ``connect`` and approves it.

Everything binds to 127.0.0.1 only.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, insert, select, text, update
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as ``.venv/bin/python benchmarks/bench_x.py`` from the repo root
    sys.path.insert(0, str(REPO))

from mentalspace_desktop.domain.ids import new_id  # noqa: E402
from mentalspace_desktop.domain.roles import Role  # noqa: E402
from mentalspace_desktop.services import totp  # noqa: E402
from mentalspace_desktop.services.accounts import AccountService, Authenticator, NewUser  # noqa: E402
from mentalspace_desktop.services.clients import search_keys  # noqa: E402
from mentalspace_desktop.services.session import UserSession, actor_of  # noqa: E402
from mentalspace_desktop.store.files import StoreFiles  # noqa: E402
from mentalspace_desktop.store.keyslots import KdfParams, KeySlots  # noqa: E402
from mentalspace_desktop.store.models import Client, OutboxEntry, SyncState, User  # noqa: E402
from mentalspace_desktop.store.opening import open_store  # noqa: E402
from mentalspace_desktop.store.sync_models import ChangeLog, HubCounter  # noqa: E402

PG_ENV = "MENTALSPACE_TEST_PG_URL"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:55433/postgres"
ADMIN_PASSWORD = "Quiet-Maple-Orchard-17"
STAFF_PASSWORD = "Blue-Heron-Lantern-42"
CHEAP_KDF = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)
HUB_SCRIPT = Path(sys.executable).with_name("mentalspace-hub")
SEEDED_TABLES = ("practice", "users", "backup_codes")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_server_url() -> str:
    return os.environ.get(PG_ENV) or DEFAULT_PG


@contextlib.contextmanager
def pg_database(server: str | None = None, prefix: str = "bench_hub") -> Iterator[str]:
    """A new, empty PostgreSQL database on ``server``; dropped (with its connections) afterwards."""
    server = server or pg_server_url()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with contextlib.suppress(Exception), admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# -- hub processes ------------------------------------------------------------------------------


class HubProcess:
    """``mentalspace-hub serve`` on 127.0.0.1; stop() is safe to call twice and after a failed start."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        port: int | None = None,
        jobs: bool = False,
        name: str = "hub",
    ) -> None:
        self.data_dir = Path(data_dir)
        self.database_url = database_url
        self.port = port or free_port()
        self.jobs = jobs
        self.name = name
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.data_dir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: Any = None

    def start(self, timeout: float = 30.0) -> HubProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            str(HUB_SCRIPT),
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        if self.database_url:
            command += ["--database-url", self.database_url]
        if not self.jobs:
            command.append("--no-jobs")
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            command, stdout=self._log, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{self.tail()}")
            try:
                if requests.get(self.url + "/health", timeout=1).ok:
                    return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer /health within {timeout:.0f} s:\n{self.tail()}")

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)  # uvicorn shuts down gracefully (lifespan)
                try:
                    self.process.wait(10)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait(10)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> HubProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def hub_sqlite_url(data_dir: Path) -> str:
    return f"sqlite:///{Path(data_dir) / 'hub.db'}"


# -- practice, hub database ---------------------------------------------------------------------


@dataclass(frozen=True)
class Template:
    data_dir: Path
    master_key: bytes
    admin_id: str
    admin_secret: str
    clinician_ids: tuple[str, ...]


def make_template(data_dir: Path, *, clinicians: int = 4) -> Template:
    """A practice store (admin plus a few clinicians), closed so its WAL is folded into store.db."""
    secret = totp.new_secret()
    enrollment = Authenticator(StoreFiles(data_dir), kdf=CHEAP_KDF).create_practice(
        practice_name="Bench Counseling",
        time_zone="America/New_York",
        admin=NewUser("admin", "Avery Admin", Role.ADMIN, ADMIN_PASSWORD),
        totp_secret=secret,
    )
    session = enrollment.session
    accounts = AccountService(session, kdf=CHEAP_KDF)
    made = tuple(
        accounts.create_user(NewUser(f"clin{i}", f"Clinician Number{i}", Role.CLINICIAN, STAFF_PASSWORD))
        for i in range(clinicians)
    )
    template = Template(data_dir, session.store.master_key, session.actor.user_id, secret, made)
    session.close()
    return template


def seed_hub(url: str, template: Template) -> None:
    """Migrate the hub database and copy the template's practice and staff into it, every row logged."""
    from mentalspace_desktop.hub import db
    from mentalspace_desktop.hub import repository as repo
    from mentalspace_desktop.sync.apply import MODELS

    engine = db.make_engine(url)
    db.prepare(engine)
    source = open_store(StoreFiles(template.data_dir), template.master_key)
    try:
        with db.session_factory(engine)() as hub, hub.begin(), source.read() as local:
            repo.lock_writes(hub)
            for table in SEEDED_TABLES:
                model = MODELS[table]
                for obj in local.scalars(select(model)):
                    values = {c.key: getattr(obj, c.key) for c in model.__mapper__.column_attrs}
                    repo.record_write(hub, model(**values), op="insert", user_id=None, device_id=None)
                    hub.flush()  # users refer to users (supervisor): keep insert order
    finally:
        source.close()
        engine.dispose()


SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Nguyen",
    "Okafor",
    "Patel",
    "Kim",
    "Walker",
    "Young",
    "Allen",
    "King",
]
FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Ana",
    "Wei",
    "Priya",
    "Aisha",
    "Jamal",
    "Keisha",
    "Jordan",
    "Taylor",
    "Sam",
    "Avery",
]


def client_rows(
    n: int, clinicians: tuple[str, ...], *, first_seq: int = 1, seed: int = 5
) -> list[dict[str, Any]]:
    """``n`` realistic client rows as Python values (dates as date/datetime), numbered from ``first_seq``."""
    rnd = random.Random(seed)
    stamp = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    rows = []
    for i in range(n):
        last = (
            rnd.choice(SURNAMES)
            if rnd.random() < 0.4
            else "".join(
                rnd.choice(
                    ["an", "ber", "co", "da", "el", "fi", "gor", "ha", "ka", "li", "mo", "ri", "sa", "to"]
                )
                for _ in range(rnd.randint(2, 4))
            ).capitalize()
        )
        first = rnd.choice(FIRST)
        phone = f"+1{rnd.choice(['404', '678', '770'])}{rnd.randint(2000000, 9999999)}"
        rows.append(
            {
                "id": new_id(),
                "server_seq": first_seq + i,
                "updated_at": stamp + timedelta(seconds=i),
                "updated_by": None,
                "device_id": None,
                "deleted": False,
                "chart_number": f"B{i + 1:07d}",
                "first_name": first,
                "last_name": last,
                "dob": date(1940, 1, 1) + timedelta(days=rnd.randrange(30000)),
                "phone_mobile": phone,
                "email": f"{first.lower()}.{last.lower()}{i}@example.com",
                "address1": f"{rnd.randint(1, 9999)} Peachtree St NE",
                "city": "Atlanta",
                "state": "GA",
                "zip": f"30{rnd.randint(300, 399)}",
                "preferred_language": "English",
                "status": "active",
                "uses_telehealth": rnd.random() < 0.3,
                "primary_clinician_id": rnd.choice(clinicians) if clinicians else None,
                **search_keys(first, last, None, phone),
            }
        )
    return rows


def load_clients(url: str, n: int, clinicians: tuple[str, ...], *, chunk: int = 5000) -> list[dict[str, Any]]:
    """Insert ``n`` clients into the hub as the hub would number them: one transaction holding the
    counter's lock, rows and change-log entries numbered ``counter+1 .. counter+n``, counter moved to
    the end. Returns the rows (the same values a baseline can insert elsewhere)."""
    from mentalspace_desktop.hub import db
    from mentalspace_desktop.hub import repository as repo

    engine = db.make_engine(url)
    try:
        with db.session_factory(engine)() as session, session.begin():
            start = repo.lock_writes(session) + 1
            rows = client_rows(n, clinicians, first_seq=start)
            now = datetime.now(UTC)
            for lo in range(0, n, chunk):
                part = rows[lo : lo + chunk]
                session.execute(insert(Client), part)
                session.execute(
                    insert(ChangeLog),
                    [
                        {
                            "seq": r["server_seq"],
                            "table_name": "clients",
                            "row_id": r["id"],
                            "client_id": r["id"],
                            "op": "insert",
                            "at": now,
                        }
                        for r in part
                    ],
                )
            session.execute(update(HubCounter).where(HubCounter.name == repo.SEQ).values(value=start + n - 1))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("ANALYZE")
        return rows
    finally:
        engine.dispose()


def hub_sql(url: str, statement: str, **params: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result) if result.returns_rows else []
    finally:
        engine.dispose()


# -- desktops -----------------------------------------------------------------------------------


def desktop(template: Template, data_dir: Path) -> UserSession:
    """A new workstation: a copy of the practice store with its own device id, signed in as the admin.

    The template's own writes are treated as already on the hub (it was seeded from them).
    """
    shutil.copytree(template.data_dir, data_dir)
    files = StoreFiles(data_dir)
    store = open_store(files, template.master_key)
    device_id = new_id()
    with store.write() as s:
        row = s.get(SyncState, "device_id")
        assert row is not None
        row.value = device_id
        s.execute(update(OutboxEntry).values(status="done"))
    store.device_id = device_id
    with store.read() as s:
        admin = s.get(User, template.admin_id)
    assert admin is not None
    return UserSession(store, KeySlots.load(files.key_slots), actor_of(admin))


_logins = 0


def enroll(session: UserSession, hub_url: str, db_url: str, template: Template) -> Any:
    """Connect the workstation (handshake, sign-in: it becomes pending), then approve it on the hub.

    Returns the product's HubClient holding the tokens. Each sign-in uses the next one-time code
    (a code is good once), as an administrator signing in on a second workstation a little later.
    """
    import pyotp

    from mentalspace_desktop.sync.enroll import connect

    global _logins
    code = pyotp.TOTP(template.admin_secret).at(datetime.now(UTC) + timedelta(seconds=30 * _logins))
    _logins += 1
    conn, client = connect(
        session.store,
        hub_url,
        username="admin",
        password=ADMIN_PASSWORD,
        code=code,
        device_name=f"bench desk {session.store.device_id[:8]}",
    )
    assert conn.status == "pending", conn
    hub_sql(db_url, "UPDATE devices SET status = 'approved' WHERE id = :d", d=session.store.device_id)
    return client


def quiet_keyring() -> None:
    """A process-local keyring, so enrolling never touches (or warns about) the OS keyring."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.saved: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.saved.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.saved[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.saved.pop((service, username), None)

    keyring.set_keyring(Memory())


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, int(round(q / 100 * len(ordered) + 0.5)) - 1))
    return ordered[rank]
