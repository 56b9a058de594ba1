"""Scheduled jobs: two runners on one database, each run executed exactly once; sync-log retention."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from mentalspace_desktop.hub.jobs import Job, JobRunner
from mentalspace_desktop.hub.services import jobs as job_functions
from mentalspace_desktop.store.sync_models import JobRun, SyncRun
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import HubFixture


def test_two_runners_run_each_due_job_exactly_once(hub: HubFixture) -> None:
    calls: list[tuple[str, float, float]] = []
    lock = threading.Lock()
    local = threading.local()

    def work(_session: object) -> str:
        started = time.monotonic()
        time.sleep(0.05)
        with lock:
            calls.append((local.holder, started, time.monotonic()))
        return "ok"

    job = Job("counting", timedelta(milliseconds=300), work)
    runners = [JobRunner(hub.ctx.engine, [job], tick=0.02, holder=f"runner-{i}") for i in range(2)]
    stop = threading.Event()

    def loop(runner: JobRunner) -> None:
        local.holder = runner.holder
        while not stop.is_set():
            runner.run_due()
            time.sleep(0.01)

    threads = [threading.Thread(target=loop, args=(r,)) for r in runners]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(10)
    with hub.session() as s:
        runs = list(s.scalars(select(JobRun).where(JobRun.name == "counting").order_by(JobRun.started_at)))
    assert 3 <= len(calls) <= 8  # every 300 ms for 2 s, once each
    assert len(runs) == len(calls) and all(r.ok for r in runs)
    spans = sorted((start, end) for _, start, end in calls)
    assert all(
        later[0] >= earlier[1] for earlier, later in zip(spans, spans[1:], strict=False)
    )  # never overlap
    assert all(
        b.started_at - a.started_at >= timedelta(milliseconds=300)
        for a, b in zip(runs, runs[1:], strict=False)
    )


def test_sync_log_retention_deletes_runs_older_than_ninety_days(hub: HubFixture) -> None:
    with hub.session() as s, s.begin():
        s.add(SyncRun(device_id="d1", kind="sync", started_at=utcnow() - timedelta(days=91)))
        s.add(SyncRun(device_id="d1", kind="sync", started_at=utcnow() - timedelta(days=89)))
    runner = JobRunner(
        hub.ctx.engine,
        [
            Job(
                "sync_log_retention",
                timedelta(hours=6),
                lambda s: job_functions.sync_log_retention(s, days=90),
            )
        ],
    )
    assert runner.run_due() == 1
    assert runner.run_due() == 0  # not due again for six hours
    with hub.session() as s:
        assert len(s.scalars(select(SyncRun)).all()) == 1
        detail = s.scalars(select(JobRun.detail).where(JobRun.name == "sync_log_retention")).one()
    assert detail.startswith("removed 1 sync run")


def test_sync_log_is_recorded_and_read_by_role(hub: HubFixture) -> None:
    clin, admin = hub.device("clinician"), hub.device("admin")
    posted = clin.post("/v1/sync/log", json={"kind": "sync", "rows_new": 3, "duration_ms": 120})
    assert posted.status_code == 200 and posted.json()["device_id"] == clin.device_id
    admin.post("/v1/sync/log", json={"kind": "pull"})
    assert len(admin.get("/v1/sync/log").json()) == 2
    assert [r["rows_new"] for r in clin.get("/v1/sync/log").json()] == [3]
