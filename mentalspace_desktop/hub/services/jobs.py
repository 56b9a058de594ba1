"""Jobs the hub runs on a schedule (see :mod:`mentalspace_desktop.hub.jobs` for who runs them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.orm import Session

from mentalspace_desktop.errors import NotFound
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.db import READONLY
from mentalspace_desktop.integrations.smtp_mail import SmtpSettings
from mentalspace_desktop.services import alerts, compliance, messaging_settings, report_mail
from mentalspace_desktop.services.scheduling import series_job
from mentalspace_desktop.store.alert_models import Alert
from mentalspace_desktop.store.models import Practice
from mentalspace_desktop.store.sync_models import SyncRun
from mentalspace_desktop.store.types import utcnow


def sync_log_retention(session: Session, *, days: int) -> str:
    """Delete sync runs older than ``days``: the sync log is for recent trouble, not an archive."""
    cutoff = utcnow() - timedelta(days=days)
    with session.begin():
        result = cast(
            "CursorResult[Any]", session.execute(delete(SyncRun).where(SyncRun.started_at < cutoff))
        )
        removed = result.rowcount
    return f"removed {removed} sync run(s) older than {days} days"


def extend_open_series(session: Session) -> str:
    """Keep open-ended series booked a year ahead (``services/scheduling/series_job.py``).

    Runs with the counter's lock taken first, so no push is numbered in between: the collision checks
    read the schedule as it is, and the new rows are numbered and logged like any push's, reaching
    every workstation in scope. A practice not set up yet has nothing to extend.
    """
    with session.begin():
        repo.lock_writes(session)
        try:
            done = series_job.extend_open_series(session, now=utcnow())
        except NotFound:
            return "the practice is not set up yet"
        writes = [repo.stamp(session, row, op=op, user_id=None, device_id=None) for row, op in done.written]
        session.flush()
        repo.number_writes(session, writes)
    return done.summary()


def _transactions(session: Session) -> report_mail.Transaction:
    """One transaction per block on the job's session, as the services' job functions expect."""

    @contextmanager
    def transaction() -> Iterator[Session]:
        with session.begin():
            yield session

    return transaction


def _practice_today(session: Session) -> date:
    """Today in the practice's time zone (a nightly run on a UTC server must not date itself tomorrow)."""
    with session.begin():
        zone_name = session.scalar(select(Practice.time_zone))
    try:
        zone = ZoneInfo(zone_name or "America/New_York")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return utcnow().astimezone(zone).date()


def nightly_compliance(session: Session) -> str:
    """Every Georgia rule over the whole practice, the run and its findings kept (counts in the log)."""
    result = compliance.run_nightly(_transactions(session), today=_practice_today(session), now=utcnow())
    return f"compliance: {len(result.findings)} finding(s) over {len(result.summaries)} rule(s)"


def weekly_team_reports(session: Session, *, fallback: SmtpSettings | None = None) -> str:
    """Last week's team report to each supervisor not yet sent it (failures kept and retried), through
    the mail server saved in the hub's messaging settings (``fallback`` when none is saved)."""
    with session.begin():
        smtp = messaging_settings.hub_smtp_settings(session) or fallback
    if smtp is None:
        return "team reports: no mail server is set up"
    if locked := messaging_settings.locked_reason(smtp):
        return f"team reports: not sent: {locked}"
    run = report_mail.send_weekly_team_reports(_transactions(session), smtp=smtp, today=_practice_today(session),
                                               now=utcnow())
    return run.line()


def generate_alerts(session: Session) -> str:
    """Open, re-grade and resolve alerts from the practice's metrics and compliance findings.

    Reads first (no lock held while metrics are measured), then writes in one transaction that takes
    the hub's write lock before it reads the open alerts: a second run anywhere — another process,
    a retry — waits and then sees this one's alerts, so a condition never gets two. Each write is
    numbered and logged like a push's, so the alerts reach the workstations in scope.
    """
    with session.begin():
        session.connection(execution_options={READONLY: True})  # SQLite: no write lock while measuring
        conditions = alerts.current_conditions(session, now=utcnow())
    writes: list[repo.PendingWrite] = []

    def on_write(row: Alert, op: str) -> None:
        writes.append(repo.stamp(session, row, op=op, user_id=None, device_id=None))

    with session.begin():
        repo.lock_writes(session)
        result = alerts.apply_conditions(session, conditions, now=utcnow(), on_write=on_write)
        repo.number_writes(session, writes)
    return result.line()
