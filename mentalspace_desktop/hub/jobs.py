"""Running scheduled jobs in exactly one hub process at a time, coordinated through the database.

Each hub process has one runner thread. A job runs only in the process that wins its lease: a
conditional ``UPDATE job_leases ... WHERE (lease_until IS NULL OR lease_until < now) AND next_run_at
<= now`` succeeds in one process only, because the database applies the two updates one after the
other and the second no longer matches. The winner runs the job, records a ``job_runs`` row, sets
the next due time and releases the lease; a process that dies mid-run loses its lease when it
expires, and another process takes over.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, or_, update
from sqlalchemy.orm import Session, sessionmaker

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.db import session_factory
from mentalspace_desktop.hub.services import jobs as job_functions
from mentalspace_desktop.hub.services import reminders
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.store.sync_models import JobLease, JobRun
from mentalspace_desktop.store.types import utcnow

log = logging.getLogger("mentalspace.hub.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    function: Callable[[Session], str | None]  # returns a short detail for job_runs (never PHI)
    lease: timedelta = timedelta(minutes=10)  # a run must finish within this, or another may start


def default_jobs(settings: HubSettings) -> list[Job]:
    days = settings.sync_log_retention_days
    jobs = [
        Job(
            "sync_log_retention", timedelta(hours=6), lambda s: job_functions.sync_log_retention(s, days=days)
        ),
        Job("extend_open_series", timedelta(hours=24), job_functions.extend_open_series),
        Job("nightly_compliance", timedelta(hours=24), job_functions.nightly_compliance, lease=timedelta(minutes=30)),
        Job("generate_alerts", timedelta(minutes=15), job_functions.generate_alerts),
        # Appointment reminders: every minute, in whichever process wins the lease. Sending is safe
        # even if two ran at once (each message's key is UNIQUE and inserted before it is sent).
        Job("reminders", timedelta(minutes=1), reminders.run_job),
    ]
    # Hourly: each supervisor's week is sent once (report_emails), and a failure is retried within the hour.
    # The mail server is the one an administrator saved on the hub (Messaging settings), read at each
    # run; MENTALSPACE_SMTP_* stands in while none is saved.
    fallback = settings.smtp
    jobs.append(Job("weekly_team_reports", timedelta(hours=1),
                    lambda s: job_functions.weekly_team_reports(s, fallback=fallback), lease=timedelta(minutes=30)))
    return jobs


def holder_name() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class JobRunner:
    """One per hub process: wakes every ``tick`` seconds and runs the due jobs whose lease it wins."""

    def __init__(
        self, engine: Engine, jobs: list[Job], *, tick: float = 5.0, holder: str | None = None
    ) -> None:
        self.jobs = jobs
        self.tick = tick
        self.holder = holder or holder_name()
        self._sessions: sessionmaker[Session] = session_factory(engine)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"hub-jobs-{self.holder}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.run_due()
            self._stop.wait(self.tick)

    def run_due(self) -> int:
        """Run every due job this process wins; returns how many it ran."""
        ran = 0
        for job in self.jobs:
            try:
                if self._acquire(job):
                    self._run(job)
                    ran += 1
            except Exception:
                log.exception("job %s could not be scheduled", job.name)
        return ran

    def _acquire(self, job: Job) -> bool:
        with self._sessions() as session, session.begin():
            repo.insert_ignore(
                session,
                JobLease,
                [{"name": job.name, "holder": None, "lease_until": None, "next_run_at": None}],
                ["name"],
            )
        now = utcnow()
        with self._sessions() as session, session.begin():
            won = cast(
                "CursorResult[Any]",
                session.execute(
                    update(JobLease)
                    .where(
                        JobLease.name == job.name,
                        or_(JobLease.lease_until.is_(None), JobLease.lease_until < now),
                        or_(JobLease.next_run_at.is_(None), JobLease.next_run_at <= now),
                    )
                    .values(holder=self.holder, lease_until=now + job.lease)
                ),
            ).rowcount
        return won == 1

    def _run(self, job: Job) -> None:
        run_id = new_id()
        with self._sessions() as session, session.begin():
            session.add(JobRun(id=run_id, name=job.name, holder=self.holder, started_at=utcnow()))
        ok, detail = True, None
        try:
            with self._sessions() as session:
                detail = job.function(session)
        except Exception as exc:
            ok, detail = False, type(exc).__name__
            log.exception("job %s failed", job.name)
        finished = utcnow()
        with self._sessions() as session, session.begin():
            run = session.get(JobRun, run_id)
            assert run is not None
            run.finished_at, run.ok, run.detail = finished, ok, detail
            session.execute(
                update(JobLease)
                .where(JobLease.name == job.name, JobLease.holder == self.holder)
                .values(lease_until=None, next_run_at=finished + job.interval)
            )
        log.info("job %s ran (ok=%s)", job.name, ok)
