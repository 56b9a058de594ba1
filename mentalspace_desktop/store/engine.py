"""The SQLCipher engine: a raw 256-bit key, WAL, and a page cache sized for a desktop."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError

from mentalspace_desktop.errors import StoreBusy, StoreCorrupt
from mentalspace_desktop.store.files import make_private_file

# Page authentication: new stores use HMAC-SHA256 instead of SQLCipher 4's default SHA-512 — still a
# strong MAC, and about 15% off every page written (benchmarks/bench_store_vs_sqlite.py). A store must
# always be opened with the algorithm it was made with: the key-slot file records it (a store made
# before the record existed used the default). The "default" pragma makes databases attached from the
# connection (the backup export) use the same algorithm.
CURRENT_HMAC = "HMAC_SHA256"
LEGACY_HMAC = "HMAC_SHA512"
HMAC_ALGORITHMS = frozenset({CURRENT_HMAC, LEGACY_HMAC})


PRAGMAS = (
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = NORMAL",  # durable across application crashes; WAL keeps it consistent
    "PRAGMA cache_size = -65536",  # 64 MiB of decrypted pages: decryption is the cost to avoid
    "PRAGMA temp_store = MEMORY",
    "PRAGMA foreign_keys = ON",
)


# How long a statement waits for another process (the app, a backup, a command) to finish writing
# before the store is reported busy. Writers hold the lock for milliseconds; a backup's snapshot does
# not block writers at all (WAL).
BUSY_TIMEOUT_SECONDS = 30.0
BUSY_MESSAGE = ("The store is busy: another MentalSpace program on this computer is writing to it. "
                "Nothing was changed; try again in a moment.")
# The execution option a write transaction sets so it begins with BEGIN IMMEDIATE (see Store.write).
IMMEDIATE = "mentalspace_immediate"


def damaged_message(path: Path) -> str:
    return (f"The store file {path} is damaged. Nothing was written to it; restore it from a backup "
            "(mentalspace restore BACKUP into an empty folder).")


def connect_encrypted(path: Path, key: bytes, hmac: str = CURRENT_HMAC) -> Any:
    """A DB-API connection to the SQLCipher file at ``path``, keyed and tuned."""
    if hmac not in HMAC_ALGORITHMS:
        raise StoreCorrupt(f"The key file names an unknown page algorithm ({hmac}); restore from a backup.")
    if not path.exists():
        make_private_file(path)  # SQLite gives -wal and -shm the database file's permissions
    conn = sqlcipher3.connect(str(path), check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS)
    conn.execute("PRAGMA cipher_log_level = NONE")  # a damaged page is reported once, as StoreCorrupt
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
    conn.execute(f"PRAGMA cipher_default_hmac_algorithm = {hmac}")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise StoreCorrupt(
            f"The store file {path} cannot be read ({exc}). It is damaged or is not a MentalSpace "
            "store; restore it from a backup."
        ) from None
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def encrypted_engine(path: Path, key: bytes, hmac: str = CURRENT_HMAC) -> Engine:
    engine = create_engine(
        f"sqlite:///{path}",
        creator=lambda: connect_encrypted(path, key, hmac),
        module=sqlcipher3,
        pool_size=4,
        max_overflow=4,
    )
    _use_explicit_transactions(engine)
    return engine


def _use_explicit_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not the driver, decide when a transaction begins (SQLAlchemy's pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(IMMEDIATE) else "BEGIN")


def check_undamaged(path: Path, key: bytes, hmac: str = CURRENT_HMAC) -> None:
    """Refuse a damaged store before anything writes to it.

    Runs on its own read-only connection (which never writes, not even the checkpoint SQLite does
    when the last connection closes): SQLCipher's ``cipher_integrity_check`` verifies every page's
    HMAC in the file, and ``quick_check`` walks every table and index through the WAL, which also
    finds a file cut short (its missing pages read as malformed). Both take about 0.1 s for a 20 MB
    store. A store another process is writing to is read at one moment and passes.
    """
    if hmac not in HMAC_ALGORITHMS:
        raise StoreCorrupt(f"The key file names an unknown page algorithm ({hmac}); restore from a backup.")
    uri = f"{path.resolve().as_uri()}?mode=ro"  # file:///C:/... on Windows, file:///... elsewhere
    try:
        conn = sqlcipher3.connect(uri, uri=True, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlcipher3.Error as exc:
        raise StoreCorrupt(f"The store file {path} cannot be opened ({exc}). Restore it from a backup.") from None
    try:
        conn.execute("PRAGMA cipher_log_level = NONE")
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
        conn.execute(f"PRAGMA cipher_hmac_algorithm = {hmac}")
        failures = [str(row[0]) for row in conn.execute("PRAGMA cipher_integrity_check")]
        verdict = [str(row[0]) for row in conn.execute("PRAGMA quick_check")] if not failures else []
    except sqlcipher3.OperationalError as exc:
        if _is_busy(exc):
            raise StoreBusy(BUSY_MESSAGE) from None
        raise StoreCorrupt(damaged_message(path)) from None
    except sqlcipher3.DatabaseError:
        raise StoreCorrupt(damaged_message(path)) from None
    finally:
        conn.close()
    if failures or verdict != ["ok"]:
        raise StoreCorrupt(damaged_message(path))


def _is_busy(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


@contextmanager
def busy_as_store_busy() -> Iterator[None]:
    """Turn the driver's "database is locked" (after the busy timeout) into the one-line StoreBusy,
    and a page that fails its HMAC or a malformed tree met mid-way into StoreCorrupt."""
    try:
        yield
    except (SQLAlchemyDatabaseError, sqlcipher3.DatabaseError) as exc:
        orig = getattr(exc, "orig", exc)
        if _is_busy(orig):
            raise StoreBusy(BUSY_MESSAGE) from None
        text = str(orig).lower()
        if "malformed" in text or "not a database" in text or "hmac" in text:
            raise StoreCorrupt("The store is damaged. Restore it from a backup.") from None
        raise
