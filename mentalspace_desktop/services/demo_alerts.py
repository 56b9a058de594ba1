"""The demo practice's performance goals and alerts: goals in every state, open alerts of every severity.

Goals are set against what the demo's own numbers are, so each lands where it is meant to: last
month's achieved and missed goals for Marcus Bell's supervisees, this month's active ones. Alerts come
from the alert job itself, run once over the finished practice (unsigned notes, consents, plans,
expired HIPAA training, escalations), exactly as the app's timer or the hub would raise them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mentalspace_desktop.domain.metrics import Direction, Period, PeriodKind, period_for
from mentalspace_desktop.services import alerts, goals, metrics
from mentalspace_desktop.services.session import UserSession

# (clinician key, metric, which period, state wanted)
GOALS = (
    ("jordan", "kept_visit_rate", "last", "achieved"),
    ("jordan", "same_day_documentation_rate", "last", "missed"),
    ("jordan", "no_show_rate", "this", "active"),
    ("tyler", "no_show_rate", "last", "missed"),
    ("tyler", "kept_visit_rate", "this", "active"),
    ("tyler", "rebook_rate", "last", "achieved"),
)


def _target(value: float | None, direction: Direction, achieved: bool, unit: str) -> float:
    """A typed target (85 for 85 %) this value meets (or misses) by a clear margin."""
    scale = 100 if unit == "percent" else 1
    if value is None:
        return 80 if unit == "percent" else 1
    typed = value * scale
    step = 5 if unit == "percent" else 1
    harder = typed + step if direction is Direction.HIGHER else typed - step
    easier = typed - step if direction is Direction.HIGHER else typed + step
    chosen = easier if achieved else harder
    return max(0.0, min(100.0, round(chosen)) if unit == "percent" else round(chosen, 1))


def add_demo_goals_and_alerts(session: UserSession, ids: dict[str, str], today: date, zone: ZoneInfo) -> None:
    now = datetime.now(UTC)  # after the history the demo wrote, so the audit log stays in order
    if now.astimezone(zone).date() != today:  # a demo built for another day (tests)
        now = datetime.combine(today, time(23, 59), tzinfo=zone)
    this_month = period_for(PeriodKind.MONTH, today)
    last_end = this_month.start - timedelta(days=1)
    last_month = Period(last_end.replace(day=1), last_end)
    definitions = metrics.definitions()
    measured = metrics.compute(session, last_month, today=today)
    for key, metric_id, which, state in GOALS:
        definition = definitions[metric_id]
        period = last_month if which == "last" else this_month
        if which == "last":
            value = measured.of(ids[key]).get(metric_id)
            typed = _target(None if value is None else value.value, definition.direction, state == "achieved",
                            definition.unit)
        else:
            typed = definition.benchmark * (100 if definition.unit == "percent" else 1)
        goals.save_goal(session, clinician_id=ids[key], metric_id=metric_id, typed_target=typed,
                        start=period.start, end=period.end, now=now,
                        note="Agreed at supervision" if which == "this" else "")
    alerts.generate_alerts(session.store, now=now)
