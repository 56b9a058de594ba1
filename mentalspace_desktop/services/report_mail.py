"""The weekly team-report e-mail: each supervisor receives last week's report of their team, PDF attached.

A job function, run by the hub's job runner (practice mode) or the app's solo timer. Each
supervisor's report for a week is one ``report_emails`` row: created before the first attempt, marked
sent after the server accepted it, and otherwise kept with the server's words and tried again at the
next run (up to :data:`MAX_ATTEMPTS`), so a refusal or an outage is recorded and retried, never lost
silently, and a second runner or a restart never sends a week twice. The job runs often (hourly on
the hub) and sends only what is owed, so a failed e-mail does not wait a week for its retry.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.integrations.smtp_mail import MailError, SmtpSettings, send_message
from mentalspace_desktop.services import team_report
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.report_models import ReportEmail

REPORT = "team_report"
MAX_ATTEMPTS = 8
Transaction = Callable[[], AbstractContextManager[Session]]
"""Opens one transaction on the database the job works in, committing when the block ends."""


@dataclass(frozen=True)
class MailRun:
    sent: int
    failed: int  # tried and failed this run (will be tried again)
    gave_up: int  # failed MAX_ATTEMPTS times: left for a person to look at
    no_address: int  # supervisors without an e-mail address

    def line(self) -> str:
        """For the job log: counts only, never names or numbers from the reports."""
        return (f"team reports: {self.sent} sent, {self.failed} failed (will retry), {self.gave_up} given up, "
                f"{self.no_address} supervisor(s) without an e-mail address")


def _message(smtp: SmtpSettings, to: str, report_pdf: bytes, report: team_report.TeamReport) -> EmailMessage:
    message = EmailMessage()
    if smtp.sender:
        message["From"] = smtp.sender
    message["To"] = to
    period = f"{report.period.start:%b %d} – {report.period.end:%b %d, %Y}"
    message["Subject"] = f"Team performance report, {period}"
    urgent = sum(1 for r in report.rows if r.status.value == "urgent")
    message.set_content(
        f"Hello {report.supervisor_name},\n\n"
        f"Your team's performance report for {period} is attached ({len(report.rows)} supervisee(s), "
        f"{urgent} urgent, {len(report.conditions)} alert condition(s)).\n\n"
        f"— {report.practice_name}\n")
    stem = f"team-report-{report.period.start.isoformat()}.pdf"
    message.add_attachment(report_pdf, maintype="application", subtype="pdf", filename=stem)
    return message


def send_weekly_team_reports(transaction: Transaction, *, smtp: SmtpSettings, today: date,
                             now: datetime) -> MailRun:
    """Send last week's team report to every active supervisor who has not received it yet."""
    period = team_report.last_week(today)
    sent = failed = gave_up = no_address = 0
    with transaction() as s:
        supervisors = s.execute(select(User.id, User.email).where(
            User.role == Role.SUPERVISOR.value, User.active.is_(True), User.deleted.is_(False))
            .order_by(User.id)).all()
    for supervisor_id, email in supervisors:
        if not email:
            no_address += 1
            continue
        try:
            with transaction() as s:
                row = s.scalar(select(ReportEmail).where(
                    ReportEmail.report == REPORT, ReportEmail.recipient_id == supervisor_id,
                    ReportEmail.period_start == period.start))
                if row is None:
                    s.add(ReportEmail(report=REPORT, recipient_id=supervisor_id, period_start=period.start,
                                      period_end=period.end, status="pending", attempts=0))
        except IntegrityError:
            pass  # another runner made it a moment ago: the row is what matters
        with transaction() as s:
            row = s.scalar(select(ReportEmail).where(
                ReportEmail.report == REPORT, ReportEmail.recipient_id == supervisor_id,
                ReportEmail.period_start == period.start))
            if row is None or row.status == "sent":
                continue
            if row.status == "failed":
                gave_up += 1
                continue
            report = team_report.gather(s, supervisor_id=supervisor_id, period=period, today=today)
        error: str | None = None
        try:
            send_message(smtp, _message(smtp, email, team_report.pdf_bytes(report), report))
        except MailError as exc:
            error = str(exc)[:300]
        with transaction() as s:
            row = s.scalar(select(ReportEmail).where(
                ReportEmail.report == REPORT, ReportEmail.recipient_id == supervisor_id,
                ReportEmail.period_start == period.start))
            assert row is not None
            row.attempts += 1
            row.last_attempt_at = now
            if error is None:
                row.status, row.sent_at, row.last_error = "sent", now, None
                sent += 1
            else:
                row.last_error = error
                row.status = "failed" if row.attempts >= MAX_ATTEMPTS else "pending"
                failed += 1
    return MailRun(sent, failed, gave_up, no_address)


def smtp_from_environment(env: dict[str, str] | None = None) -> SmtpSettings | None:
    """The mail server from ``MENTALSPACE_SMTP_HOST`` (and ``_PORT``, ``_USERNAME``, ``_PASSWORD``,
    ``_SENDER``, ``_CAFILE``); None when no host is set. The environment keeps the password out of
    ``hub.json`` and the command line."""
    env = dict(os.environ) if env is None else env
    host = env.get("MENTALSPACE_SMTP_HOST", "").strip()
    if not host:
        return None
    try:
        port = int(env.get("MENTALSPACE_SMTP_PORT", "587"))
    except ValueError:
        raise ValueError("MENTALSPACE_SMTP_PORT must be a port number") from None
    return SmtpSettings(host=host, port=port, username=env.get("MENTALSPACE_SMTP_USERNAME", ""),
                        password=env.get("MENTALSPACE_SMTP_PASSWORD", ""),
                        sender=env.get("MENTALSPACE_SMTP_SENDER", ""),
                        cafile=env.get("MENTALSPACE_SMTP_CAFILE") or None)
