"""The team performance report: one supervisor's team over a period, as a PDF.

:func:`gather` reads the numbers from any database session (the workstation's store, or the hub's
database for the weekly e-mail) with the same set-based metric queries as the dashboards; it checks
no permission, so only :func:`build` (a signed-in person: a supervisor their own team, an
administrator anyone's) and the scheduled job (services/report_mail.py) call it.
"""

from __future__ import annotations

import io
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain import metric_rules
from mentalspace_desktop.domain.metrics import Period, combine, overall_status, weeks_back
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.domain.team_report import (
    TABLE_METRICS,
    SupervisionLine,
    TeamReport,
    TeamRow,
    metric_conditions,
)
from mentalspace_desktop.errors import NotFound, PermissionDenied
from mentalspace_desktop.services import audit, metrics, supervision
from mentalspace_desktop.services.dashboards import STATUS_METRICS
from mentalspace_desktop.services.metric_facts import fetch_facts
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Practice, User

REPORT_METRICS = (*TABLE_METRICS, "supervision_hours")
TREND_WEEKS = 8
TREND_METRICS = ("kept_visit_rate", "no_show_rate", "same_day_documentation_rate")


def gather(s: Session, *, supervisor_id: str, period: Period, today: date) -> TeamReport:
    """The report's numbers for ``supervisor_id``'s team (their active supervisees)."""
    supervisor = s.get(User, supervisor_id)
    if supervisor is None or supervisor.deleted:
        raise NotFound("That supervisor does not exist.")
    team = s.execute(select(User.id, User.full_name, User.license_type).where(
        User.supervisor_id == supervisor_id, User.deleted.is_(False), User.active.is_(True),
        User.role.in_(metrics.PROVIDER_ROLES)).order_by(User.full_name)).all()
    practice = s.scalar(select(Practice))
    zone, licenses = metrics.zone_of(practice), metrics.supervised_licenses(practice)
    subjects = frozenset(u.id for u in team)
    wanted = [m for m in REPORT_METRICS if m in metrics.definitions()]
    facts = fetch_facts(s, period=period, today=today, subjects=subjects, zone=zone, supervised_licenses=licenses)
    values = metric_rules.evaluate(facts, wanted)
    definitions = metrics.definitions()
    rows = []
    for u in team:
        mine = {v.metric_id: v for v in values if v.subject_id == u.id}
        status = overall_status(definitions, [mine[m] for m in STATUS_METRICS if m in mine])
        rows.append(TeamRow(u.id, u.full_name, u.license_type, mine, status))
    trend = []
    for week in weeks_back(min(today, period.end), TREND_WEEKS):
        weekly = fetch_facts(s, period=week, today=today, subjects=subjects, zone=zone)
        trend.append((week, combine(metric_rules.evaluate(weekly, list(TREND_METRICS)), subject_id="team")))
    required = supervision.monthly_hours(s)
    months = period.days / metric_rules.AVERAGE_MONTH_DAYS
    supervised = [
        SupervisionLine(r.name, r.license_type or "", r.values["supervision_hours"].numerator,
                        required[r.license_type or ""] * months)
        for r in rows if "supervision_hours" in r.values and (r.license_type or "") in required
    ]
    names = {u.id: u.full_name for u in team}
    table_values = [v for v in values if v.metric_id in TABLE_METRICS]
    return TeamReport(practice.name if practice else "", supervisor_id, supervisor.full_name, period, definitions,
                      rows, combine(values, subject_id="team", counts=metrics.COUNTS), trend,
                      metric_conditions(definitions, table_values, names), supervised)


def build(session: UserSession, period: Period, *, today: date, supervisor_id: str | None = None) -> TeamReport:
    """The report a signed-in supervisor (their own team) or administrator (any supervisor's) may see."""
    role = session.actor.role
    wanted = supervisor_id or session.actor.user_id
    if role is Role.SUPERVISOR and wanted != session.actor.user_id:
        raise PermissionDenied("A supervisor can produce the team report of their own team only.")
    if role not in (Role.SUPERVISOR, Role.ADMIN):
        raise PermissionDenied(f"Your role ({role.label}) has no team report. Ask your supervisor.")
    with session.store.read() as s:
        return gather(s, supervisor_id=wanted, period=period, today=today)


def pdf_bytes(report: TeamReport) -> bytes:
    from mentalspace_desktop.integrations.pdf_team_report import write_team_report

    buffer = io.BytesIO()
    write_team_report(buffer, report)
    return buffer.getvalue()


def save(session: UserSession, report: TeamReport, path: Path) -> None:
    """Write the PDF owner-only at ``path``, named only once its audit entry is committed."""
    from mentalspace_desktop.integrations.pdf_team_report import write_team_report

    audit.write_private(path, lambda part: write_team_report(part, report), audited=(session, {
        "action": "export", "record_type": "team_report", "record_id": report.supervisor_id,
        "summary": f"team report of {report.supervisor_name} for {report.period.start} to {report.period.end}"}))


def last_week(today: date) -> Period:
    """Monday to Sunday of the week before ``today``'s (what the weekly e-mail reports)."""
    monday = today - timedelta(days=today.weekday())
    return Period(monday - timedelta(days=7), monday - timedelta(days=1))
