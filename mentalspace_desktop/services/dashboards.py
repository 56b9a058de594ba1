"""What the three dashboards show: one service call per screen, run off the UI thread.

A clinician's "My Practice", a supervisor's "My Team" and the administrator's "Practice Overview"
read the same metric table (services/metrics.py) for the chosen period and the one before it,
plus twelve weeks of trend. After an appointment or note changes, :func:`refresh_clinician`
recomputes only that clinician's numbers and the totals are summed again, instead of the whole
practice being measured anew.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import select

from mentalspace_desktop.domain.metrics import (
    MetricDefinition,
    MetricValue,
    Period,
    Status,
    combine,
    overall_status,
    weeks_back,
)
from mentalspace_desktop.domain.roles import DASHBOARDS, DashboardKind
from mentalspace_desktop.services import metrics
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.services.supervision import monthly_hours_of, signed_minutes
from mentalspace_desktop.store.models import Client, Practice, User

# What decides a clinician's status on the team table (the "on track / review / urgent").
STATUS_METRICS = ("kept_visit_rate", "no_show_rate", "unsigned_note_backlog", "same_day_documentation_rate")
TREND_METRICS = ("kept_visit_rate", "no_show_rate", "same_day_documentation_rate", "schedule_fill_rate")
TREND_WEEKS = 12


@dataclass(frozen=True)
class SupervisionStanding:
    """A supervisee's supervision this month against what their license requires each month
    (the compliance settings' hours by license), and whether last month's requirement was met.

    Urgent when last month ended short (out of compliance); review when this month is behind the
    pace the requirement asks for by today; on track otherwise."""

    license_type: str
    required_hours: float  # a month
    hours: float  # signed, this month up to today
    last_month_hours: float
    month_share: float  # how much of this month has gone by (today included)

    @property
    def status(self) -> Status:
        if self.last_month_hours < self.required_hours:
            return Status.URGENT
        if self.hours >= self.required_hours or self.hours >= self.required_hours * self.month_share:
            return Status.ON_TRACK
        return Status.REVIEW

    @property
    def text(self) -> str:
        return f"{self.hours:g} of {self.required_hours:g} h"

    @property
    def explanation(self) -> str:
        pace = self.required_hours * self.month_share
        return (f"{self.license_type}: {self.required_hours:g} h of signed supervision a month. This month "
                f"{self.hours:g} h so far (about {pace:.1f} h due by today); last month {self.last_month_hours:g} h.")


@dataclass(frozen=True)
class ClinicianRow:
    """One line of the team table and the practice matrix."""

    id: str
    name: str
    values: dict[str, MetricValue]
    previous: dict[str, MetricValue]
    status: Status
    supervision: SupervisionStanding | None = None  # None: their license needs no monthly supervision


@dataclass(frozen=True)
class Dashboard:
    kind: DashboardKind
    period: Period
    previous_period: Period
    definitions: dict[str, MetricDefinition]
    rows: list[ClinicianRow]
    totals: dict[str, MetricValue]
    previous_totals: dict[str, MetricValue]
    trend: list[tuple[Period, dict[str, MetricValue]]]  # oldest week first
    # My Team: the supervisor's own row, shown (marked "you") but not part of the team's figures, so
    # they are the supervisees' as in the team report. None elsewhere.
    own_id: str | None = None

    def row(self, clinician_id: str) -> ClinicianRow | None:
        return next((r for r in self.rows if r.id == clinician_id), None)

    def counted_rows(self) -> list[ClinicianRow]:
        """The rows the totals, trend and status counts are made of."""
        return [r for r in self.rows if r.id != self.own_id]

    def supervision_totals(self) -> tuple[float, float] | None:
        """The team's supervision this month: hours signed and hours required, over the supervisees
        who need it (None when nobody shown does)."""
        standings = [r.supervision for r in self.counted_rows() if r.supervision is not None]
        if not standings:
            return None
        return sum(s.hours for s in standings), sum(s.required_hours for s in standings)

    def status_counts(self) -> dict[Status, int]:
        counts = dict.fromkeys((Status.ON_TRACK, Status.REVIEW, Status.URGENT, Status.NO_DATA), 0)
        for r in self.counted_rows():
            counts[r.status] += 1
        return counts


def dashboard_kind(session: UserSession) -> DashboardKind | None:
    """The dashboard this user sees, or None (the front desk; billing's revenue cycle comes with billing)."""
    kind = DASHBOARDS[session.actor.role]
    return kind if kind in (DashboardKind.PRACTICE, DashboardKind.TEAM, DashboardKind.OWN) else None


def supervision_standings(session: UserSession, clinician_ids: list[str], *,
                          today: date) -> dict[str, SupervisionStanding]:
    """This month's supervision of those among ``clinician_ids`` whose license requires it (callers
    pass only clinicians this user may see: the dashboard's)."""
    first = today.replace(day=1)
    last_end = first - timedelta(days=1)
    with session.store.read() as s:
        required = monthly_hours_of(s.scalar(select(Practice)))
        licensed = {uid: lic for uid, lic in s.execute(select(User.id, User.license_type).where(
            User.id.in_(clinician_ids), User.supervisor_id.is_not(None))) if lic in required}
        if not licensed:
            return {}
        now = signed_minutes(s, start=first, end=today, supervisee_ids=list(licensed))
        before = signed_minutes(s, start=last_end.replace(day=1), end=last_end, supervisee_ids=list(licensed))
    share = today.day / calendar.monthrange(today.year, today.month)[1]
    return {uid: SupervisionStanding(lic, required[lic], now.get(uid, 0) / 60, before.get(uid, 0) / 60, share)
            for uid, lic in licensed.items()}


def _rows(table: metrics.MetricTable, previous: metrics.MetricTable, definitions: dict[str, MetricDefinition],
          standings: dict[str, SupervisionStanding], own_id: str | None = None) -> list[ClinicianRow]:
    rows = []
    for c in table.clinicians:
        values = table.of(c.id)
        status = overall_status(definitions, [values[m] for m in STATUS_METRICS if m in values])
        name = f"{c.full_name} (you)" if c.id == own_id else c.full_name
        rows.append(ClinicianRow(c.id, name, values, previous.of(c.id), status, standings.get(c.id)))
    return rows


def _totals(table: metrics.MetricTable, own_id: str | None) -> dict[str, MetricValue]:
    """The table's totals, without ``own_id``'s numbers (My Team: the supervisees')."""
    if own_id is None:
        return table.totals
    return combine([v for v in table.values if v.subject_id != own_id], subject_id="all", counts=metrics.COUNTS)


def load_dashboard(session: UserSession, period: Period, *, today: date, clinician: str | None = None,
                   with_trend: bool = True) -> Dashboard:
    """Everything one dashboard screen shows. ``clinician`` narrows a team or practice to one person
    (the drill-down), which the permission rules of services/metrics.py still check."""
    kind = dashboard_kind(session)
    if kind is None:
        metrics.measurable_clinicians(session)  # raises PermissionDenied with the role's words
        raise AssertionError("unreachable")
    definitions = metrics.definitions()
    own_id = session.actor.user_id if kind is DashboardKind.TEAM and clinician is None else None
    before = period.previous()
    table = metrics.compute(session, period, today=today, clinician=clinician)
    previous = metrics.compute(session, before, today=today, clinician=clinician)
    trend = []
    if with_trend:
        for week in weeks_back(min(today, period.end), TREND_WEEKS):
            weekly = metrics.compute(session, week, today=today, clinician=clinician, metric_ids=list(TREND_METRICS))
            trend.append((week, _totals(weekly, own_id)))
    standings = supervision_standings(session, [c.id for c in table.clinicians], today=today)
    return Dashboard(kind if clinician is None else DashboardKind.OWN, period, before, definitions,
                     _rows(table, previous, definitions, standings, own_id), _totals(table, own_id),
                     _totals(previous, own_id), trend, own_id)


def refresh_clinician(session: UserSession, board: Dashboard, clinician_id: str, *, today: date) -> Dashboard:
    """The same dashboard with one clinician measured again (after their appointment or note changed).

    Totals are re-summed from the rows' numerators and denominators, so nobody else is recomputed.
    A clinician this dashboard does not show leaves it unchanged.
    """
    if board.row(clinician_id) is None:
        return board
    table = metrics.compute(session, board.period, today=today, clinician=clinician_id)
    previous = metrics.compute(session, board.previous_period, today=today, clinician=clinician_id)
    fresh = _rows(table, previous, board.definitions,
                  supervision_standings(session, [clinician_id], today=today), board.own_id)[0]
    rows = [fresh if r.id == clinician_id else r for r in board.rows]
    board = replace(board, rows=rows)
    totals = combine([v for r in board.counted_rows() for v in r.values.values()], subject_id="all",
                     counts=metrics.COUNTS)
    return replace(board, totals=totals)


def clinicians_of_client(session: UserSession, client_id: str) -> list[str]:
    """Whose numbers a change to this client's chart may move: their clinician and the person who
    made the change (a supervisor co-signing moves the supervisee's numbers through the former)."""
    with session.store.read() as s:
        clinician = s.scalar(select(Client.primary_clinician_id).where(Client.id == client_id))
    return sorted({c for c in (clinician, session.actor.user_id) if c})
