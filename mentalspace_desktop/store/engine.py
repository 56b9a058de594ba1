"""The SQLCipher engine: a raw 256-bit key, WAL, and a page cache sized for a desktop."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event

from mentalspace_desktop.errors import StoreCorrupt

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


def connect_encrypted(path: Path, key: bytes, hmac: str = CURRENT_HMAC) -> Any:
    """A DB-API connection to the SQLCipher file at ``path``, keyed and tuned."""
    if hmac not in HMAC_ALGORITHMS:
        raise StoreCorrupt(f"The key file names an unknown page algorithm ({hmac}); restore from a backup.")
    conn = sqlcipher3.connect(str(path), check_same_thread=False, timeout=30)
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
        conn.exec_driver_sql("BEGIN")


def check_not_truncated(engine: Engine, path: Path) -> None:
    """Refuse a file shorter than its header says: a copy cut short or a disk that lost the tail."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        pages = int(conn.exec_driver_sql("PRAGMA page_count").scalar_one())
        page_size = int(conn.exec_driver_sql("PRAGMA page_size").scalar_one())
    if path.stat().st_size < pages * page_size:
        raise StoreCorrupt(
            f"The store file {path} is shorter than it should be (truncated). Restore it from a backup."
        )
