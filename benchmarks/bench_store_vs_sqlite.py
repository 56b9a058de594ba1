"""The encrypted store against plain SQLite on the same workload: what does encryption cost?

Workload (SQLAlchemy Core, the same schema and PRAGMAs on both sides): insert 20,000 client-like rows in
batches of 500 (one transaction per batch), then 2,000 indexed point reads and 200 index range queries.
Prints the median of a few repetitions for each engine and the ratio encrypted / plain (goal: <= 1.3).

    .venv/bin/python benchmarks/bench_store_vs_sqlite.py [--rows 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import random
import secrets
import sqlite3
import statistics
import string
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Date,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    select,
)

from mentalspace_desktop.store.engine import PRAGMAS, encrypted_engine

GOAL = 1.3
BATCH = 500

metadata = MetaData()
clients = Table(
    "clients",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("chart_number", String(20), unique=True),
    Column("first_name", String(100)),
    Column("last_name", String(100)),
    Column("dob", Date, index=True),
    Column("phone_mobile", String(20)),
    Column("email", String(254)),
    Column("address1", String(200)),
    Column("city", String(100)),
    Column("state", String(2)),
    Column("zip", String(10)),
    Column("status", String(20)),
    Column("last_key", String(100), index=True),
    Column("first_key", String(100), index=True),
    Column("phone_rev_key", String(20), index=True),
    Column("server_seq", Integer),
)
Index("ix_clients_last_first", clients.c.last_key, clients.c.first_key)


def plain_engine(path: Path) -> Engine:
    """Stdlib sqlite3 with the store's PRAGMAs and the store's explicit-transaction handling."""

    def connect() -> Any:
        conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        for pragma in PRAGMAS:
            conn.execute(pragma)
        return conn

    engine = create_engine(f"sqlite:///{path}", creator=connect, pool_size=4, max_overflow=4)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def make_rows(n: int, seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    syll = [
        "an",
        "ber",
        "co",
        "da",
        "el",
        "fi",
        "gor",
        "ha",
        "is",
        "jo",
        "ka",
        "li",
        "mo",
        "nu",
        "or",
        "pe",
        "ri",
        "sa",
        "to",
        "vi",
        "wen",
        "ya",
        "zo",
    ]
    rows = []
    for i in range(n):
        last = "".join(rnd.choice(syll) for _ in range(rnd.randint(2, 4))).capitalize()
        first = "".join(rnd.choice(syll) for _ in range(rnd.randint(1, 3))).capitalize()
        phone = "".join(rnd.choice(string.digits) for _ in range(7))
        rows.append(
            {
                "id": f"{i:08x}-{rnd.getrandbits(16):04x}-7000-8000-{rnd.getrandbits(48):012x}",
                "chart_number": f"MS-{1001 + i}",
                "first_name": first,
                "last_name": last,
                "dob": date(1940, 1, 1) + timedelta(days=rnd.randrange(30000)),
                "phone_mobile": f"+1404{phone}",
                "email": f"{first.lower()}.{last.lower()}@example.com",
                "address1": f"{rnd.randint(1, 9999)} Peachtree St NE",
                "city": "Atlanta",
                "state": "GA",
                "zip": f"30{rnd.randint(300, 399)}",
                "status": "active",
                "last_key": last.lower(),
                "first_key": first.lower(),
                "phone_rev_key": ("404" + phone)[::-1],
                "server_seq": None,
            }
        )
    return rows


def workload(engine: Engine, rows: list[dict[str, Any]]) -> dict[str, float]:
    metadata.create_all(engine)
    rnd = random.Random(11)
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    for start in range(0, len(rows), BATCH):
        with engine.begin() as conn:
            conn.execute(clients.insert(), rows[start : start + BATCH])
    times["insert"] = time.perf_counter() - t0

    ids = [r["id"] for r in rnd.sample(rows, 2000)]
    t0 = time.perf_counter()
    with engine.connect() as conn:
        stmt = select(clients).where(clients.c.id == bindparam("id"))
        for cid in ids:
            assert conn.execute(stmt, {"id": cid}).first() is not None
    times["point"] = time.perf_counter() - t0

    prefixes = [r["last_key"][:3] for r in rnd.sample(rows, 100)]
    starts = [date(1940, 1, 1) + timedelta(days=rnd.randrange(29000)) for _ in range(100)]
    t0 = time.perf_counter()
    with engine.connect() as conn:
        for p in prefixes:
            q = (
                select(clients)
                .where(clients.c.last_key >= p, clients.c.last_key < p + "\uffff")
                .order_by(clients.c.last_key, clients.c.first_key)
                .limit(50)
            )
            conn.execute(q).all()
        for d in starts:
            q = select(clients).where(clients.c.dob >= d, clients.c.dob < d + timedelta(days=30)).limit(200)
            conn.execute(q).all()
    times["range"] = time.perf_counter() - t0
    times["total"] = times["insert"] + times["point"] + times["range"]
    return times


def run(make: Callable[[Path], Engine], rows: list[dict[str, Any]]) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ms-bench-") as tmp:
        engine = make(Path(tmp) / "bench.db")
        try:
            return workload(engine, rows)
        finally:
            engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = make_rows(args.rows)
    key = secrets.token_bytes(32)
    results: dict[str, list[dict[str, float]]] = {"plain sqlite3": [], "encrypted store": []}
    for _ in range(args.repeat):  # interleaved, so drift in the machine hits both alike
        results["plain sqlite3"].append(run(plain_engine, rows))
        results["encrypted store"].append(run(lambda p: encrypted_engine(p, key), rows))
    med = {
        name: {k: statistics.median(r[k] for r in runs) for k in runs[0]} for name, runs in results.items()
    }
    print(
        f"workload: {args.rows:,} inserts in batches of {BATCH}, 2,000 point reads, 200 range queries; "
        f"median of {args.repeat}"
    )
    print(f"{'':18}{'insert':>10}{'point':>10}{'range':>10}{'total':>10}  (seconds)")
    for name, m in med.items():
        print(f"{name:18}{m['insert']:10.3f}{m['point']:10.3f}{m['range']:10.3f}{m['total']:10.3f}")
    ratios = {
        k: med["encrypted store"][k] / med["plain sqlite3"][k] for k in ("insert", "point", "range", "total")
    }
    print(f"{'ratio':18}" + "".join(f"{ratios[k]:10.2f}" for k in ("insert", "point", "range", "total")))
    verdict = "meets" if ratios["total"] <= GOAL else "misses"
    print(f"encrypted / plain = {ratios['total']:.2f}x (goal <= {GOAL}x): {verdict} the goal")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
