"""A new workstation's first full sync of 100,000 rows, against bulk-inserting them into an encrypted store.

Setup (not timed): a practice store; a hub database seeded from it (SQLite file by default, ``--pg``
for PostgreSQL), holding ``--rows`` clients inserted straight into the hub with server_seq numbers and
change-log entries as the hub writes them; a real ``mentalspace-hub serve`` process on loopback; a new
encrypted desktop store connected to it (handshake, sign-in) and approved.

Measured: ``SyncEngine.run_once()`` on that desktop over real HTTP (handshake, push of an empty
outbox, every pull page applied as a checkpoint, sync log on both sides). Baseline, in the same
run: the same rows inserted into a fresh encrypted store with SQLAlchemy Core ``executemany`` in
transactions of one pull page (1,000 rows) each — the least the store itself must do. Prints both,
the pulls' page count and the ratio (goal <= 4x). With ``--repeat`` > 1 the medians are printed
(this machine is shared; single runs are noisy).

    .venv/bin/python benchmarks/bench_first_sync.py [--rows 100000] [--pg] [--repeat 1] [--profile out.prof]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _hubproc as hp
from sqlalchemy import func, insert, select

from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.opening import open_store
from mentalspace_desktop.sync import protocol
from mentalspace_desktop.sync.engine import SyncEngine

GOAL = 4.0


def baseline(template: hp.Template, rows: list[dict[str, Any]], folder: Path) -> float:
    """Seconds to insert ``rows`` into a fresh copy of the practice store, one page per transaction."""
    shutil.copytree(template.data_dir, folder)
    store = open_store(StoreFiles(folder), template.master_key)
    try:
        page = protocol.PULL_PAGE_SIZE
        t0 = time.perf_counter()
        for lo in range(0, len(rows), page):
            with store.write() as s:
                s.execute(insert(Client), rows[lo : lo + page])
        elapsed = time.perf_counter() - t0
        with store.read() as s:
            assert s.scalar(select(func.count()).select_from(Client)) == len(rows)
        return elapsed
    finally:
        store.close()


def first_sync(
    template: hp.Template, hub: hp.HubProcess, db_url: str, folder: Path, expected: int, profile: str | None
) -> tuple[float, Any]:
    session = hp.desktop(template, folder)
    client = hp.enroll(session, hub.url, db_url, template)
    try:
        engine = SyncEngine(session.store, client, session.actor.user_id)
        profiler = None
        if profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        t0 = time.perf_counter()
        report = engine.run_once()
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(profile)
        assert report.ok, report.log_line()
        with session.store.read() as s:
            held = s.scalar(select(func.count()).select_from(Client))
        assert held == expected, (held, expected)
        return elapsed, report
    finally:
        client.close()
        session.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--pg", action="store_true", help=f"hub on PostgreSQL (MENTALSPACE_TEST_PG_URL or {hp.DEFAULT_PG})"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="first syncs (new desktops) and baselines to run"
    )
    parser.add_argument("--profile", help="write a cProfile of the (first) desktop sync to this file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    hp.quiet_keyring()

    with contextlib.ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ms-bench-sync-")))
        template = hp.make_template(tmp / "template")
        if args.pg:
            db_url = stack.enter_context(hp.pg_database())
        else:
            db_url = hp.hub_sqlite_url(tmp / "hub")
            (tmp / "hub").mkdir()
        t0 = time.perf_counter()
        hp.seed_hub(db_url, template)
        rows = hp.load_clients(db_url, args.rows, template.clinician_ids)
        print(
            f"hub ({'PostgreSQL' if args.pg else 'SQLite'}) loaded with {args.rows:,} clients in "
            f"{time.perf_counter() - t0:.1f} s"
        )
        hub = stack.enter_context(hp.HubProcess(tmp / "hub", database_url=db_url if args.pg else None))
        syncs: list[float] = []
        bases: list[float] = []
        pages = 0
        for i in range(args.repeat):  # interleaved, so drift in the machine hits both alike
            bases.append(baseline(template, rows, tmp / f"baseline{i}"))
            took, report = first_sync(
                template, hub, db_url, tmp / f"desk{i}", args.rows, args.profile if i == 0 else None
            )
            syncs.append(took)
            pages = report.pages
            print(
                f"  run {i + 1}: first sync {took:6.2f} s ({report.rows_new:,} new rows, "
                f"{report.pages} pages), baseline {bases[-1]:6.2f} s"
            )
            shutil.rmtree(tmp / f"baseline{i}", ignore_errors=True)
            shutil.rmtree(tmp / f"desk{i}", ignore_errors=True)
        sync_s, base_s = statistics.median(syncs), statistics.median(bases)
        ratio = sync_s / base_s
        label = f"median of {args.repeat}" if args.repeat > 1 else "one run"
        print(
            f"first sync of {args.rows:,} clients over loopback HTTP ({pages} pages of "
            f"{protocol.PULL_PAGE_SIZE}): {sync_s:.2f} s = {args.rows / sync_s:,.0f} rows/s ({label})"
        )
        print(
            f"baseline: Core bulk insert of the same rows into a fresh encrypted store: {base_s:.2f} s "
            f"= {args.rows / base_s:,.0f} rows/s"
        )
        verdict = "meets" if ratio <= GOAL else "misses"
        print(f"first sync / bulk insert = {ratio:.2f}x (goal <= {GOAL}x): {verdict} the goal")
    return 0


if __name__ == "__main__":
    sys.exit(main())
