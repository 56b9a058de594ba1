"""Two real ``mentalspace-hub serve`` processes on one PostgreSQL database, on two loopback ports.

Devices push to one process and pull from the other: the change log stays gap-free and ordered, a
device sees the changes made through both, and the scheduled sync-log retention job runs once per
interval across both processes (job_runs), not once per process.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import select, text, update

from benchmarks._hubproc import HubProcess, pg_database
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.sync_models import ChangeLog, Device, HubCounter, JobLease, JobRun, SyncRun
from mentalspace_desktop.store.types import utcnow
from tests import signing_keys
from tests.hub.conftest import PG_ENV, ROLES, client_row, seed

pytestmark = pytest.mark.slow
RETENTION = "sync_log_retention"
TICK = 5.0  # the hub's default job tick (HubSettings.job_tick_seconds)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    server = os.environ.get(PG_ENV)
    if not server:
        print(f"skipping the two-process hub test: {PG_ENV} is not set")
        pytest.skip(f"{PG_ENV} is not set")
    pytest.importorskip("psycopg", reason="psycopg (the hub extra) is not installed")
    with pg_database(server, prefix="test_hubmp") as url:
        yield url


class Desk:
    """A device enrolled in the database, talking HTTP to whichever hub process it is given."""

    def __init__(self, engine: Any, key: str, user_id: str, role: str, schema: str) -> None:
        self.id = new_id()
        with db.session_factory(engine)() as s, s.begin():
            s.add(
                Device(
                    id=self.id,
                    name="mp desk",
                    enrolled_by=user_id,
                    status="approved",
                    created_at=utcnow(),
                    last_device_seq=0,
                )
            )
            self.signer = signing_keys.register(s, self.id, user_id)  # as their hub sign-in would
        token = auth.issue_access_token(key, user_id=user_id, device_id=self.id, role=role, seconds=900)
        self.headers = {"Authorization": f"Bearer {token}"}
        self.schema = schema
        self.seq = 0
        self.http = requests.Session()

    def push_clients(self, url: str, names: list[str]) -> list[str]:
        changes = []
        for name in names:
            self.seq += 1
            row = client_row(last=name)
            changes.append(
                {
                    "device_seq": self.seq,
                    "change_id": new_id(),
                    "table": "clients",
                    "row_id": row["id"],
                    "op": "insert",
                    "base_server_seq": None,
                    "changes": {k: [None, v] for k, v in row.items()},
                    "schema_version": self.schema,
                }
            )
        signed = [signing_keys.sign(c, self.signer) for c in changes]
        response = self.http.post(
            f"{url}/v1/sync/push", json={"changes": signed}, headers=self.headers, timeout=30
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert [r["outcome"] for r in results] == ["applied"] * len(names), results
        return [c["row_id"] for c in changes]

    def pull_all(self, urls: list[str], cursor: str = "") -> tuple[dict[str, dict[str, Any]], str]:
        """Every page, alternating between the given hub processes page by page."""
        rows: dict[str, dict[str, Any]] = {}
        for page_no in range(1000):
            url = urls[page_no % len(urls)]
            response = self.http.get(
                f"{url}/v1/sync/pull", params={"cursor": cursor, "limit": 7}, headers=self.headers, timeout=30
            )
            assert response.status_code == 200, response.text
            page = response.json()
            rows.update({r["row_id"]: r for r in page["rows"] if r["table"] == "clients"})
            cursor = page["cursor"]
            if not page["more"]:
                return rows, cursor
        raise AssertionError("pull never ended")


def retention_runs(engine: Any) -> list[JobRun]:
    with db.session_factory(engine)() as s:
        return list(s.scalars(select(JobRun).where(JobRun.name == RETENTION).order_by(JobRun.started_at)))


def wait_for_runs(engine: Any, count: int, timeout: float) -> list[JobRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = retention_runs(engine)
        if len(runs) >= count and all(r.finished_at is not None for r in runs):
            return runs
        time.sleep(0.2)
    return retention_runs(engine)


def test_two_hub_processes_share_one_database(pg_url: str, tmp_path: Path) -> None:
    engine = db.make_engine(pg_url)
    hubs: list[HubProcess] = []
    try:
        db.prepare(engine)
        users, _secrets = seed(engine)
        with db.session_factory(engine)() as s, s.begin():
            key = db.get_setting(s, db.SIGNING_KEY) or ""
            s.add(SyncRun(device_id="old", kind="sync", started_at=utcnow() - timedelta(days=91)))
            s.add(SyncRun(device_id="recent", kind="sync", started_at=utcnow() - timedelta(days=1)))
        schema = str(migrate.head_revision())
        started = time.monotonic()
        hubs = [
            HubProcess(tmp_path / f"hub{i}", database_url=pg_url, jobs=True, name=f"hub{i}") for i in range(2)
        ]
        starters = [threading.Thread(target=h.start) for h in hubs]  # both start (and migrate) at once
        for t in starters:
            t.start()
        for t in starters:
            t.join(40)
        for h in hubs:
            assert requests.get(h.url + "/health", timeout=5).ok, h.tail()
        one, two = (h.url for h in hubs)

        # -- pushes through both processes at once, pulls alternating between them --------------
        writers = [
            Desk(engine, key, users["front_desk"], ROLES["front_desk"].value, schema) for _ in range(4)
        ]
        reader = Desk(engine, key, users["admin"], ROLES["admin"].value, schema)
        pushed: dict[str, list[str]] = {one: [], two: []}
        errors: list[BaseException] = []

        def write(index: int) -> None:
            desk, url = writers[index], (one, two)[index % 2]
            try:
                for batch in range(5):
                    pushed[url].extend(desk.push_clients(url, [f"W{index}B{batch}N{n}" for n in range(3)]))
            except BaseException as exc:  # reported below, on the test's thread
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(len(writers))]
        for t in threads:
            t.start()
        midway, cursor = reader.pull_all([two, one])  # while the writers are still at it
        for t in threads:
            t.join(60)
        assert not errors, errors
        assert len(pushed[one]) == len(pushed[two]) == 30
        rest, cursor = reader.pull_all([one, two], cursor)
        seen = {**midway, **rest}
        assert set(pushed[one]) <= set(seen) and set(pushed[two]) <= set(seen)  # from both processes
        again, _ = reader.pull_all([two], cursor)
        assert again == {}  # nothing twice

        with db.session_factory(engine)() as s:
            seqs = list(s.scalars(select(ChangeLog.seq).order_by(ChangeLog.seq)))
            counter = s.scalar(select(HubCounter.value).where(HubCounter.name == "seq"))
        assert seqs == list(range(1, len(seqs) + 1)) and seqs[-1] == counter  # gap-free, no duplicates
        server_seqs = [seen[row_id]["server_seq"] for row_id in pushed[one] + pushed[two]]
        assert len(set(server_seqs)) == 60

        # -- the retention job: one run across both processes per interval -----------------------
        runs = wait_for_runs(engine, 1, timeout=max(2.0, 3 * TICK - (time.monotonic() - started)))
        assert len(runs) == 1, [(r.holder, r.started_at) for r in runs]
        assert runs[0].ok and (runs[0].detail or "").startswith("removed 1 sync run")
        time.sleep(TICK + 1)  # both processes have ticked again: not due, nobody runs it
        assert len(retention_runs(engine)) == 1
        with db.session_factory(engine)() as s:
            assert [r.device_id for r in s.scalars(select(SyncRun))] == ["recent"]

        with db.session_factory(engine)() as s, s.begin():  # the next interval comes round
            s.execute(update(JobLease).where(JobLease.name == RETENTION).values(next_run_at=utcnow()))
        runs = wait_for_runs(engine, 2, timeout=3 * TICK)
        assert len(runs) == 2
        time.sleep(TICK + 1)
        runs = retention_runs(engine)
        assert len(runs) == 2 and all(r.ok for r in runs), [(r.holder, r.started_at) for r in runs]
        pids = {str(h.pid) for h in hubs}
        assert all(r.holder.split(":")[1] in pids for r in runs)  # run by the hub processes themselves
        with engine.connect() as conn:
            lease = conn.execute(
                text("SELECT holder, lease_until FROM job_leases WHERE name = :n"), {"n": RETENTION}
            ).one()
        assert lease.lease_until is None  # released after the run
    finally:
        for h in hubs:
            h.stop()
        engine.dispose()
