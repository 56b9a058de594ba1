"""A hub per test, on SQLite and on PostgreSQL, with one user of every role and helpers to act as devices.

PostgreSQL comes from MENTALSPACE_TEST_PG_URL (``.ci/run`` starts one); without it, or when it does
not answer, the PostgreSQL half of each test skips with the reason printed. Each test module builds
one migrated, seeded template database; each test gets a fresh copy (``CREATE DATABASE ... TEMPLATE``)
and the copies and the template are dropped afterwards. SQLite works the same way with a file copy.
"""

from __future__ import annotations

import os
import shutil
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.app import create_app
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.services import totp
from mentalspace_desktop.store.models import Practice, User
from mentalspace_desktop.store.signing import Signer
from mentalspace_desktop.store.sync_models import Device
from mentalspace_desktop.store.types import utcnow
from tests import signing_keys

with warnings.catch_warnings():  # starlette suggests httpx2; the TestClient works as documented
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PG_ENV = "MENTALSPACE_TEST_PG_URL"
PASSWORD = "Blue-Heron-Lantern-42"
ROLES = {
    "admin": Role.ADMIN,
    "supervisor": Role.SUPERVISOR,
    "clinician": Role.CLINICIAN,
    "other_clinician": Role.CLINICIAN,
    "billing": Role.BILLING,
    "front_desk": Role.FRONT_DESK,
}
_HASH = PasswordHasher().hash(PASSWORD)


def seed(engine: Any) -> tuple[dict[str, str], dict[str, str]]:
    """The practice and its staff, written as the hub writes (numbers and change-log entries)."""
    users: dict[str, str] = {}
    secrets: dict[str, str] = {}
    with db.session_factory(engine)() as session, session.begin():
        repo.lock_writes(session)
        repo.record_write(
            session, Practice(name="Peachtree Counseling"), op="insert", user_id=None, device_id=None
        )
        for key, role in ROLES.items():
            secrets[key] = totp.new_secret()
            user = User(
                id=new_id(),
                username=key.replace("_", "."),
                full_name=key.replace("_", " ").title(),
                role=role.value,
                password_hash=_HASH,
                totp_secret=secrets[key],
                supervisor_id=users["supervisor"] if key == "clinician" else None,
            )
            repo.record_write(session, user, op="insert", user_id=None, device_id=None)
            session.flush()
            users[key] = user.id
    return users, secrets


@dataclass
class Template:
    url: str
    users: dict[str, str]
    secrets: dict[str, str]
    make_copy: Any  # () -> (url, cleanup)


def _pg_server() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        print(f"skipping PostgreSQL hub tests: {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set")
    pytest.importorskip("psycopg", reason="psycopg (the hub extra) is not installed")
    return url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def template(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Template]:
    if request.param == "sqlite":
        folder = tmp_path_factory.mktemp("hub-template")
        url = f"sqlite:///{folder / 'hub.db'}"
        engine = db.make_engine(url)
        db.prepare(engine)
        users, secrets = seed(engine)
        engine.dispose()  # the last connection to close folds the WAL into hub.db

        def sqlite_copy() -> tuple[str, Any]:
            target = tmp_path_factory.mktemp("hub") / "hub.db"
            shutil.copy2(folder / "hub.db", target)
            return f"sqlite:///{target}", lambda: None

        yield Template(url, users, secrets, sqlite_copy)
        return
    server = _pg_server()
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    name = f"test_hubtpl_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL at {PG_ENV} is not reachable: {str(exc).splitlines()[0]}"
        print(f"skipping PostgreSQL hub tests: {reason}")
        pytest.skip(reason)
    tpl_url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = db.make_engine(tpl_url)
    db.prepare(engine)
    users, secrets = seed(engine)
    engine.dispose()
    made: list[str] = []

    def pg_copy() -> tuple[str, Any]:
        copy = f"test_hub_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"'))
        made.append(copy)

        def drop() -> None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))

        return make_url(server).set(database=copy).render_as_string(hide_password=False), drop

    try:
        yield Template(tpl_url, users, secrets, pg_copy)
    finally:
        with admin.connect() as conn:
            for copy in made:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class DeviceClient:
    """One workstation signed in as one user: requests carry its access token."""

    def __init__(self, hub: HubFixture, user: str, device_id: str, token: str) -> None:
        self.hub, self.user, self.device_id, self.token = hub, user, device_id, token
        self.user_id = hub.users[user]
        self.seq = 0
        self.signers: dict[str, Signer] = {}  # user id -> their key on this workstation

    def signer(self, user_id: str) -> Signer:
        """This person's signing key here, registered on the hub (as their hub sign-in would)."""
        if user_id not in self.signers:
            with self.hub.session() as s, s.begin():
                self.signers[user_id] = signing_keys.register(s, self.device_id, user_id)
        return self.signers[user_id]

    def signed(self, change: dict[str, Any]) -> dict[str, Any]:
        """``change`` signed by its author, unless it carries a signature (or ``None``) already."""
        if "signature" in change:
            return change
        author = str(change.get("author_id") or self.user_id)
        return signing_keys.sign(change, self.signer(author))

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **kw: Any) -> Any:
        return self.hub.client.get(path, headers=self.headers, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.hub.client.post(path, headers=self.headers, **kw)

    def change(
        self,
        table: str,
        row_id: str,
        changes: dict[str, list[Any]],
        *,
        op: str = "update",
        base: int | None = None,
        seq: int | None = None,
    ) -> dict[str, Any]:
        """An outbox entry as the desktop pushes it; numbers follow on from the last one made."""
        self.seq = seq if seq is not None else self.seq + 1
        return {
            "device_seq": self.seq,
            "change_id": new_id(),
            "table": table,
            "row_id": row_id,
            "op": op,
            "base_server_seq": base,
            "changes": changes,
            "schema_version": "0004",
        }

    def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        return self.change(table, row["id"], {k: [None, v] for k, v in row.items()}, op="insert")

    def push(self, *changes: dict[str, Any], status: int = 200) -> dict[str, Any]:
        response = self.post("/v1/sync/push", json={"changes": [self.signed(c) for c in changes]})
        assert response.status_code == status, response.text
        return response.json()  # type: ignore[no-any-return]

    def pull_all(
        self, cursor: str = "", limit: int = 1000
    ) -> tuple[dict[tuple[str, str], dict[str, Any]], list[dict[str, str]], str]:
        """Every page from ``cursor``: the rows received (latest wins), the drops, the final cursor."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        drops: list[dict[str, str]] = []
        while True:
            response = self.get("/v1/sync/pull", params={"cursor": cursor, "limit": limit})
            assert response.status_code == 200, response.text
            page = response.json()
            for item in page["rows"]:
                rows[(item["table"], item["row_id"])] = item["row"]
            for drop in page["drops"]:
                rows.pop((drop["table"], drop["row_id"]), None)
            drops.extend(page["drops"])
            cursor = page["cursor"]
            if not page["more"]:
                return rows, drops, cursor


@dataclass
class HubFixture:
    settings: HubSettings
    client: TestClient
    users: dict[str, str]
    secrets: dict[str, str]
    devices: list[DeviceClient] = field(default_factory=list)

    @property
    def ctx(self) -> Any:
        return self.client.app.state.hub  # type: ignore[attr-defined]

    def session(self) -> Any:
        return self.ctx.sessions()

    def device(self, user: str, *, status: str = "approved", seconds: int = 900) -> DeviceClient:
        """A workstation enrolled directly in the database (logins are tested on their own)."""
        device_id = new_id()
        with self.session() as s, s.begin():
            s.add(
                Device(
                    id=device_id,
                    name=f"{user} laptop",
                    enrolled_by=self.users[user],
                    status=status,
                    created_at=utcnow(),
                    last_device_seq=0,
                )
            )
        token = auth.issue_access_token(
            self.ctx.signing_key,
            user_id=self.users[user],
            device_id=device_id,
            role=ROLES[user].value,
            seconds=seconds,
        )
        return DeviceClient(self, user, device_id, token)


def client_row(
    *,
    clinician: str | None = None,
    last: str = "Rivera",
    first: str = "Sam",
    chart: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A clients row as a desktop would push it (only the fields it sets)."""
    row = {
        "id": new_id(),
        "chart_number": chart or uuid.uuid4().hex[:8],
        "first_name": first,
        "last_name": last,
        "dob": date(1988, 6, 1).isoformat(),
        "preferred_language": "English",
        "status": "active",
        "primary_clinician_id": clinician,
        "uses_telehealth": False,
        "last_key": last.lower(),
        "first_key": first.lower(),
        "deleted": False,
    }
    row.update(extra)
    return row


@pytest.fixture
def hub(template: Template, tmp_path: Path) -> Iterator[HubFixture]:
    url, cleanup = template.make_copy()
    settings = HubSettings(tmp_path / "hub", database_url=url, run_jobs=False, events_poll_seconds=0.05)
    try:
        with TestClient(create_app(settings)) as client:
            yield HubFixture(settings, client, dict(template.users), dict(template.secrets))
    finally:
        cleanup()
