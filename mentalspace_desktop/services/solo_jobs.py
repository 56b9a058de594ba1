"""The jobs a solo workstation runs itself while the app is open (DESIGN "Jobs"): the same functions the
hub runs on its schedule, on a timer here.

A :class:`SoloJob` is a name, an interval and a function of the signed-in session and the time. The
last run of each is kept in the store (``sync_state``), so signing in again or restarting the app
does not run a job again at once; a failed run is kept too (with its reason) and tried again at its
next due time. Nothing here knows about Qt: the GUI's timer (gui/job_timer.py) asks :func:`due`
and runs :func:`run_job` in a worker.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from mentalspace_desktop.integrations.smtp_mail import SmtpSettings
from mentalspace_desktop.services import alerts, compliance, messaging_settings, report_mail
from mentalspace_desktop.services.practice_clock import practice_now
from mentalspace_desktop.services.report_mail import smtp_from_environment
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import SyncState

log = logging.getLogger(__name__)
KEY_PREFIX = "solo_job:"


@dataclass(frozen=True)
class SoloJob:
    name: str
    interval: timedelta
    function: Callable[[UserSession, datetime], str | None]  # returns a short detail (never PHI)


@dataclass(frozen=True)
class LastRun:
    at: datetime
    ok: bool
    detail: str | None


def _transaction(session: UserSession) -> report_mail.Transaction:
    return lambda: session.store.write(session.actor.user_id)


def nightly_compliance(session: UserSession, now: datetime) -> str:
    result = compliance.run_nightly(_transaction(session), today=practice_now(session, now).date(), now=now)
    return f"compliance: {len(result.findings)} finding(s) over {len(result.summaries)} rule(s)"


def weekly_team_reports(smtp: Callable[[], SmtpSettings | None]) -> Callable[[UserSession, datetime], str]:
    """The weekly e-mail with the mail server read when it runs (``smtp``; None: not set up yet)."""

    def run(session: UserSession, now: datetime) -> str:
        settings = smtp()
        if settings is None:
            return "team reports: no mail server is set up"
        return report_mail.send_weekly_team_reports(
            _transaction(session), smtp=settings, today=practice_now(session, now).date(), now=now).line()

    return run


def generate_alerts(session: UserSession, now: datetime) -> str:
    """Open, re-grade and resolve alerts (services/alerts.py); open screens follow through the events."""
    return alerts.generate_alerts(session.store, now=now, events=session.events).line()


def extend_open_series(session: UserSession, now: datetime) -> str:
    """Keep open-ended series booked ahead, as the signed-in person (only series they may change)."""
    from mentalspace_desktop.services.scheduling.series import SeriesService

    skipped = SeriesService(session).extend_open_series()
    return f"open series extended; {len(skipped)} session(s) not booked (taken)"


def send_reminders(session: UserSession, now: datetime) -> str:
    """Appointment reminders due now, through the channels set up in Messaging settings. The engine
    keeps its own record of what went, so a restart catches up only on what is still useful."""
    from mentalspace_desktop.services.reminders.solo import run_solo

    return "reminders: " + run_solo(session.store, now=lambda: now).describe()


def read_reminder_replies(session: UserSession, now: datetime) -> str:
    """Texts clients sent back and the delivery status of reminders, read from Twilio (a solo
    workstation has no webhook Twilio can call): confirmations, cancellations, STOP, the inbox."""
    from mentalspace_desktop.services.reminders.solo import poll_solo

    return "reminder replies: " + poll_solo(session.store, now=lambda: now,
                                             signed_in=(session.actor.user_id, session.actor.username)).describe()


def saved_smtp(store: Store) -> Callable[[], SmtpSettings | None]:
    """The mail server saved in Messaging settings, read when a job needs it (``MENTALSPACE_SMTP_*``
    while none is saved)."""
    return lambda: messaging_settings.smtp_settings(store) or smtp_from_environment()


def solo_jobs(store: Store, *, smtp: Callable[[], SmtpSettings | None] | None = None) -> list[SoloJob]:
    """The jobs of a solo workstation. ``smtp`` gives the practice's mail server when a job needs it
    (by default the one saved in Messaging settings)."""
    smtp = smtp or saved_smtp(store)
    return [
        SoloJob("nightly_compliance", timedelta(hours=24), nightly_compliance),
        SoloJob("weekly_team_reports", timedelta(hours=1), weekly_team_reports(smtp)),
        SoloJob("generate_alerts", timedelta(minutes=15), generate_alerts),
        SoloJob("extend_open_series", timedelta(hours=24), extend_open_series),
        SoloJob("reminders", timedelta(minutes=1), send_reminders),
        SoloJob("reminder_replies", timedelta(minutes=1), read_reminder_replies),
    ]


def last_runs(session: UserSession) -> dict[str, LastRun]:
    with session.store.read() as s:
        rows = s.execute(select(SyncState.key, SyncState.value).where(SyncState.key.like(f"{KEY_PREFIX}%"))).all()
    out = {}
    for key, value in rows:
        try:
            data = json.loads(value)
            out[key.removeprefix(KEY_PREFIX)] = LastRun(datetime.fromisoformat(data["at"]), bool(data["ok"]),
                                                        data.get("detail"))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable entry: the job counts as never run
    return out


def due(jobs: list[SoloJob], runs: dict[str, LastRun], now: datetime) -> list[SoloJob]:
    """Jobs never run, or whose interval has passed since their last run (failed or not)."""
    return [j for j in jobs if j.name not in runs or now - runs[j.name].at >= j.interval]


def run_job(session: UserSession, job: SoloJob, now: datetime) -> LastRun:
    """Run one job and keep its outcome; a failure is recorded (its kind, never its data), not raised."""
    try:
        detail, ok = job.function(session, now), True
    except Exception as exc:
        log.exception("solo job %s failed", job.name)
        detail, ok = f"failed: {type(exc).__name__}: {str(exc)[:200]}", False
    outcome = LastRun(now, ok, detail)
    with session.store.write(session.actor.user_id) as s:
        s.merge(SyncState(key=KEY_PREFIX + job.name,
                          value=json.dumps({"at": now.isoformat(), "ok": ok, "detail": detail})))
    return outcome


def run_due(session: UserSession, jobs: list[SoloJob], now: datetime) -> list[tuple[str, LastRun]]:
    """Every job due at ``now``, one after the other (the timer's worker calls this)."""
    return [(job.name, run_job(session, job, now)) for job in due(jobs, last_runs(session), now)]
