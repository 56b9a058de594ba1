"""The hub's database: engines for SQLite and PostgreSQL, migrations, and the hub's own settings rows.

A hub on SQLite is encrypted at rest with SQLCipher, as a workstation's store is: a random 256-bit
key in ``hub.key`` beside the database, readable by its owner only (like ``hub.json``, which may hold
a PostgreSQL password). Its backups (:func:`backup_sqlite`) are encrypted with the same key. A hub
made before that opens as it is, unencrypted, until :func:`encrypt_sqlite` converts it.

Engines are made by whoever runs the hub (the app's lifespan, the command line, tests), never at
import time. On SQLite every write transaction starts ``BEGIN IMMEDIATE`` so writers queue on the
busy timeout instead of failing when a read turns into a write; on PostgreSQL row locks on the rows
being changed and the hub counter's row lock do that job (see :mod:`mentalspace_desktop.hub.repository`).
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from mentalspace_desktop.errors import MentalSpaceError, StoreCorrupt
from mentalspace_desktop.hub import clinical
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.engine import CURRENT_HMAC, connect_encrypted
from mentalspace_desktop.store.sync_models import HubCounter, HubSetting

READONLY = "hub_readonly"  # execution option: a read-only SQLite transaction may start deferred
EPOCH = "epoch"
SIGNING_KEY = "signing_key"
CLINICAL_KEY = "clinical_key"
SEQ = "seq"
_MIGRATION_LOCK = 0x4D53_4855_4221  # pg_advisory_lock key: one process migrates at a time
POOL_SIZE = 20  # PostgreSQL connections kept open per hub process
POOL_OVERFLOW = 10  # more, opened for a burst and closed after it (30 at most, as before)


class HubDatabaseError(MentalSpaceError):
    """The hub's database cannot be opened, encrypted or backed up as asked."""


def make_engine(url: str, key: bytes | None = None) -> Engine:
    """An engine for ``url``: SQLite with WAL and a busy timeout (SQLCipher when ``key`` is given),
    or PostgreSQL with a pool."""
    if url.startswith("sqlite"):
        if key is not None:
            path = Path(url.removeprefix("sqlite:///"))
            engine = create_engine(
                url, creator=lambda: _connect_encrypted(path, key), module=sqlcipher3, pool_size=8, max_overflow=8
            )
        else:
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


def engine_for(settings: HubSettings) -> Engine:
    """The engine of the hub ``settings`` describe: its SQLite file opened with its key, if it has one."""
    return make_engine(settings.url, settings.database_key())


def is_unencrypted_sqlite(settings: HubSettings) -> bool:
    """A hub on its default SQLite file made before hubs were encrypted (no key file beside it)."""
    file = settings.database_file
    return file is not None and file.exists() and not settings.key_file.exists()


def _connect_encrypted(path: Path, key: bytes) -> Any:
    try:
        return connect_encrypted(path, key)
    except StoreCorrupt:
        raise HubDatabaseError(
            f"The hub database {path} cannot be read with the key in {path.with_name('hub.key')}: the key "
            "file is not the one made with this database, or the database is damaged. Put back the key "
            "file kept with your backups, or restore the database from a backup made with this key."
        ) from None


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


# -- encryption and backups of a hub on SQLite ------------------------------------------------------


def _keyed(key: bytes) -> str:
    return f"\"x'{key.hex()}'\""


def _row_counts(conn: Any) -> dict[str, int]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    return {name: int(conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]) for name in names}


def _export(source: Any, target: Path, key: bytes) -> None:
    """Copy the database open on ``source`` into a new SQLCipher file ``target``, in one read snapshot."""
    source.execute(f"PRAGMA cipher_default_hmac_algorithm = {CURRENT_HMAC}")
    source.execute(f"ATTACH DATABASE ? AS export KEY {_keyed(key)}", (str(target),))
    try:
        source.execute("BEGIN")
        source.execute("SELECT sqlcipher_export('export')")
        source.execute("COMMIT")
    finally:
        source.execute("DETACH DATABASE export")


def _check_copy(counts: dict[str, int], copy: Path, key: bytes) -> None:
    conn = _connect_encrypted(copy, key)
    try:
        copied = _row_counts(conn)
    finally:
        conn.close()
    if copied != counts:
        raise HubDatabaseError(f"The encrypted copy {copy} does not hold every row of the hub; nothing was changed.")


def encrypt_sqlite(settings: HubSettings) -> Path:
    """Encrypt a hub's unencrypted SQLite database in place (the hub must be stopped); returns the key file.

    The rows are copied into a new SQLCipher file under a new key, the copy is read back and counted
    table by table, and only then does it replace the old file. No unencrypted copy is left behind.
    """
    file = settings.database_file
    if file is None:
        raise HubDatabaseError("Only a hub on its own SQLite file is encrypted by the hub; this one uses PostgreSQL.")
    if not file.exists():
        raise HubDatabaseError(f"There is no hub database in {settings.data_dir}.")
    if settings.key_file.exists():
        raise HubDatabaseError(f"This hub's database is already encrypted (its key is in {settings.key_file}).")
    plain = sqlite3.connect(file, timeout=1)
    try:
        plain.execute("BEGIN EXCLUSIVE")  # refuses while the hub still runs (or another command writes)
        plain.execute("ROLLBACK")
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        counts = _row_counts(plain)
    except sqlite3.OperationalError as exc:
        raise HubDatabaseError(f"The hub database is in use ({exc}); stop the hub, then encrypt it.") from None
    finally:
        plain.close()
    copy = file.with_name(file.name + ".encrypting")
    copy.unlink(missing_ok=True)
    key = secrets.token_bytes(32)
    source = sqlcipher3.connect(str(file), timeout=1)  # no key: reads the plain file
    source.isolation_level = None
    try:
        _export(source, copy, key)
    finally:
        source.close()
    try:
        _check_copy(counts, copy, key)
    except BaseException:
        copy.unlink(missing_ok=True)
        raise
    fd = os.open(settings.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(key.hex() + "\n")
        out.flush()
        os.fsync(out.fileno())
    for suffix in ("-wal", "-shm"):
        file.with_name(file.name + suffix).unlink(missing_ok=True)
    os.replace(copy, file)
    return settings.key_file


def backup_sqlite(settings: HubSettings, target: Path) -> bool:
    """Write a consistent copy of a hub's SQLite database to ``target`` while the hub runs.

    An encrypted hub's backup is encrypted with the same key (keep ``hub.key`` apart from the
    backups: either alone is of no use). Returns whether the backup is encrypted.
    """
    file = settings.database_file
    if file is None:
        raise HubDatabaseError(
            "A hub on PostgreSQL is backed up with PostgreSQL's own tools (pg_dump), not by the hub."
        )
    if not file.exists():
        raise HubDatabaseError(f"There is no hub database in {settings.data_dir}.")
    if target.exists():
        raise HubDatabaseError(f"{target} already exists; choose a new file for the backup.")
    target.parent.mkdir(parents=True, exist_ok=True)
    key = settings.database_key()
    try:
        if key is None:
            with contextlib.closing(sqlite3.connect(file, timeout=30)) as src, contextlib.closing(
                sqlite3.connect(target)
            ) as out:
                src.backup(out)
            return False
        source = _connect_encrypted(file, key)
        source.isolation_level = None
        try:
            _export(source, target, key)
        finally:
            source.close()
        _check_readable(target, key)
        return True
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _check_readable(copy: Path, key: bytes) -> None:
    conn = _connect_encrypted(copy, key)
    try:
        conn.execute("PRAGMA quick_check").fetchone()
    finally:
        conn.close()
