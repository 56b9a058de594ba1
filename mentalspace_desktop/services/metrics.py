"""Productivity metrics for clinicians, a supervisor's team or the practice, over any period.

Who may see what follows the dashboards row of the permission table: an administrator the whole
practice, a supervisor their team (and themselves), a clinician their own numbers, the front desk
and billing none of these. Every value comes with its numerator and denominator, and
:func:`explain` lists the records behind one value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from mentalspace_desktop.domain import metric_rules
from mentalspace_desktop.domain.metric_rules import Contribution
from mentalspace_desktop.domain.metrics import MetricDefinition, MetricValue, Period, combine, parse_definitions
from mentalspace_desktop.domain.roles import DASHBOARDS, DashboardKind, Role
from mentalspace_desktop.errors import NotFound, PermissionDenied
from mentalspace_desktop.resources import resource_path
from mentalspace_desktop.services import audit, metric_counts
from mentalspace_desktop.services.metric_facts import fetch_facts
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.services.supervision import monthly_hours_of
from mentalspace_desktop.store.models import Practice, User

PROVIDER_ROLES = (Role.CLINICIAN.value, Role.SUPERVISOR.value)
COUNTS = frozenset(metric_rules.COUNT_METRICS)


@cache
def definitions() -> dict[str, MetricDefinition]:
    """The metric dictionary shipped in ``resources/metrics.json``, restricted to metrics that have a
    counting function (a definition without one would be a number nobody computes)."""
    parsed = parse_definitions(json.loads(resource_path("metrics.json").read_text(encoding="utf-8")))
    return {mid: d for mid, d in parsed.items() if mid in metric_rules.REGISTRY}


@dataclass(frozen=True)
class Clinician:
    id: str
    username: str
    full_name: str
    supervisor_id: str | None


@dataclass(frozen=True)
class MetricTable:
    """All metrics of one period: per clinician, and summed for the whole set measured."""

    period: Period
    clinicians: list[Clinician]
    values: list[MetricValue]  # per clinician
    totals: dict[str, MetricValue]  # per metric, over every clinician measured

    def of(self, clinician_id: str) -> dict[str, MetricValue]:
        return {v.metric_id: v for v in self.values if v.subject_id == clinician_id}


def zone_of(s_practice: Practice | None) -> ZoneInfo:
    try:
        return ZoneInfo(s_practice.time_zone if s_practice else "America/New_York")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def supervised_licenses(practice: Practice | None) -> frozenset[str]:
    """The licenses whose holders need monthly supervision, from the practice's compliance settings."""
    return frozenset(monthly_hours_of(practice))


def measurable_clinicians(session: UserSession) -> list[Clinician]:
    """The clinicians whose numbers this user may see; PermissionDenied for roles without dashboards."""
    kind = DASHBOARDS[session.actor.role]
    if kind not in (DashboardKind.PRACTICE, DashboardKind.TEAM, DashboardKind.OWN):
        raise PermissionDenied(
            f"Your role ({session.actor.role.label}) has no productivity dashboard. Ask an administrator if you "
            "need one."
        )
    # Columns, not User objects: this runs before every measurement, a one-clinician refresh too.
    query = select(User.id, User.username, User.full_name, User.supervisor_id).where(
        User.deleted.is_(False), User.active.is_(True), User.role.in_(PROVIDER_ROLES))
    if kind is DashboardKind.TEAM:
        query = query.where((User.supervisor_id == session.actor.user_id) | (User.id == session.actor.user_id))
    elif kind is DashboardKind.OWN:
        query = query.where(User.id == session.actor.user_id)
    with session.store.read() as s:
        return [Clinician(*row) for row in s.execute(query.order_by(User.full_name))]


def _chosen(session: UserSession, clinician: str | None) -> list[Clinician]:
    allowed = measurable_clinicians(session)
    if clinician is None:
        return allowed
    wanted = clinician.strip().lower()
    chosen = [c for c in allowed if wanted in (c.id, c.username.lower(), c.full_name.lower())]
    if not chosen:
        raise NotFound(f"No clinician named {clinician!r} among those whose numbers you may see.")
    return chosen


def compute(session: UserSession, period: Period, *, today: date, clinician: str | None = None,
            metric_ids: list[str] | None = None, at_once: bool = True) -> MetricTable:
    """Every metric (or ``metric_ids``) for the clinicians this user may see, or one of them.

    ``at_once``: the independent reads run two at a time on connections of their own
    (``metric_counts.count``); False reads them one after another in one transaction."""
    chosen = _chosen(session, clinician)
    wanted = metric_ids or list(definitions())
    with session.store.read() as s:
        practice = s.scalar(select(Practice))
        values = metric_counts.count(s, period=period, today=today, subjects=frozenset(c.id for c in chosen),
                                     zone=zone_of(practice), supervised_licenses=supervised_licenses(practice),
                                     metric_ids=wanted, reader=session.store.read if at_once else None)
    return MetricTable(period, chosen, values, combine(values, subject_id="all", counts=COUNTS))


def explain(session: UserSession, period: Period, *, today: date, metric_id: str,
            clinician_id: str) -> list[Contribution]:
    """The records behind one clinician's value: what was counted, and how. Audited, since the rows
    name clients."""
    if metric_id not in definitions():
        raise NotFound(f"There is no metric called {metric_id!r}.")
    chosen = _chosen(session, clinician_id)
    with session.store.read() as s:
        practice = s.scalar(select(Practice))
        facts = fetch_facts(s, period=period, today=today, subjects=frozenset(c.id for c in chosen),
                            zone=zone_of(practice), supervised_licenses=supervised_licenses(practice))
    rows = metric_rules.evidence(facts, metric_id, clinician_id)
    with session.store.write(session.actor.user_id) as s:
        audit.append(s, session.store, user_id=session.actor.user_id, username=session.actor.username,
                     action="view", record_type="metric", record_id=None,
                     summary=f"rows behind {metric_id} for {chosen[0].full_name}, {period.start} to {period.end}",
                     at=datetime.now().astimezone())
    return rows
