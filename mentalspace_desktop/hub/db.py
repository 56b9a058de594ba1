"""The hub's database: engines for SQLite and PostgreSQL, migrations, and the hub's own settings rows.

Engines are made by whoever runs the hub (the app's lifespan, the command line, tests), never at
import time. On SQLite every write transaction starts ``BEGIN IMMEDIATE`` so writers queue on the
busy timeout instead of failing when a read turns into a write; on PostgreSQL row locks on the rows
being changed and the hub counter's row lock do that job (see :mod:`mentalspace_desktop.hub.repository`).
"""

from __future__ import annotations

import base64
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from mentalspace_desktop.hub import clinical
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.sync_models import HubCounter, HubSetting

READONLY = "hub_readonly"  # execution option: a read-only SQLite transaction may start deferred
EPOCH = "epoch"
SIGNING_KEY = "signing_key"
CLINICAL_KEY = "clinical_key"
SEQ = "seq"
_MIGRATION_LOCK = 0x4D53_4855_4221  # pg_advisory_lock key: one process migrates at a time
POOL_SIZE = 20  # PostgreSQL connections kept open per hub process
POOL_OVERFLOW = 10  # more, opened for a burst and closed after it (30 at most, as before)


def make_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite with WAL and a busy timeout, or PostgreSQL with a pool."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, pool_size=8, max_overflow=8
        )
        _tune_sqlite(engine)
        return engine
    # Connections stay open up to the number of requests a process serves at once: a connection
    # opened for a burst and closed after it costs a PostgreSQL backend process each time (and
    # under load that churn cost more CPU than the requests themselves). Beyond that, overflow.
    engine = create_engine(
        url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True, pool_recycle=1800
    )
    _tune_postgresql(engine)
    return engine


def _tune_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # The driver prepares a statement it runs often, and PostgreSQL may then keep one generic
        # plan for it, chosen from the statistics of that moment. A pull's statements take their
        # ids as one array and run thousands of times: a plan chosen while device_holdings was
        # still small (a new hub, its statistics not gathered yet) would stay, slow, for the life
        # of the connection. Custom plans are made at each run, for the tables as they are now.
        info = getattr(dbapi_connection, "info", None)
        if getattr(info, "server_version", 0) < 120000:  # psycopg 3 only; no such setting before 12
            return
        autocommit = dbapi_connection.autocommit
        dbapi_connection.autocommit = True
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        finally:
            cursor.close()
            dbapi_connection.autocommit = autocommit


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy, not the driver, begins transactions
        cursor = dbapi_connection.cursor()
        for pragma in (
            "PRAGMA journal_mode = WAL",
            "PRAGMA busy_timeout = 30000",
            "PRAGMA synchronous = NORMAL",
            "PRAGMA foreign_keys = ON",
        ):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        readonly = conn.get_execution_options().get(READONLY, False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autobegin=True)


def prepare(engine: Engine) -> None:
    """Bring the schema to head and make sure the epoch, signing key and counter rows exist.

    Safe when several hub processes start at once: PostgreSQL takes an advisory lock around it and
    the rows are inserted only if missing.
    """
    if engine.dialect.name == "postgresql":
        with engine.connect() as lock:
            lock.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            lock.commit()
            try:
                _prepare(engine)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                lock.commit()
    else:
        _prepare(engine)


def _prepare(engine: Engine) -> None:
    migrate.upgrade(engine)
    with engine.begin() as conn:
        _insert_missing(
            conn,
            HubSetting,
            [
                {"key": EPOCH, "value": str(uuid.uuid4())},
                {"key": SIGNING_KEY, "value": secrets.token_hex(32)},
                # The practice's clinical data key (hub/services/signatures.py hands it out).
                {"key": CLINICAL_KEY, "value": base64.b64encode(secrets.token_bytes(32)).decode()},
            ],
            "key",
        )
        _insert_missing(conn, HubCounter, [{"name": SEQ, "value": 0}], "name")
        key = conn.scalar(select(HubSetting.value).where(HubSetting.key == CLINICAL_KEY))
        clinical.seal_plain_text(conn, str(key))


def _insert_missing(conn: Any, model: Any, rows: list[dict[str, Any]], key: str) -> None:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).on_conflict_do_nothing(index_elements=[key])
    conn.execute(stmt, rows)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads only: on SQLite it starts a deferred transaction and never queues writers."""
    with engine.connect() as conn, Session(conn.execution_options(**{READONLY: True})) as session:
        yield session


def get_setting(session: Session, key: str) -> str | None:
    return session.scalar(select(HubSetting.value).where(HubSetting.key == key))


def new_epoch(engine: Engine) -> str:
    """Start a new epoch (after restoring the hub from a backup): every device takes a fresh snapshot."""
    epoch = str(uuid.uuid4())
    with engine.begin() as conn:
        done = conn.execute(update(HubSetting).where(HubSetting.key == EPOCH).values(value=epoch)).rowcount
        if not done:
            conn.execute(insert(HubSetting).values(key=EPOCH, value=epoch))
    return epoch
