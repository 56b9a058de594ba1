"""A supervisor's team performance report as plain data, and the alert conditions its numbers raise.

The services gather the numbers (services/team_report.py); the PDF (integrations/pdf_team_report.py)
only lays them out. The alert conditions are worked out here from the metric values and their
definitions' thresholds, as :class:`~mentalspace_desktop.domain.alerts.Condition` values, so the
report lists what the alert job would open for the same numbers: a figure past its warning
threshold is a warning, past its critical one critical.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from mentalspace_desktop.domain.alerts import Condition, Severity
from mentalspace_desktop.domain.metrics import MetricDefinition, MetricValue, Period, Status

# The team table's columns, in order (the "KVR, no-show rate, unsigned notes, same-day documentation").
TABLE_METRICS = ("kept_visit_rate", "no_show_rate", "unsigned_note_backlog", "same_day_documentation_rate")
SHORT_NAMES = {"kept_visit_rate": "KVR", "no_show_rate": "No-show", "unsigned_note_backlog": "Unsigned > 7 d",
               "same_day_documentation_rate": "Same-day notes", "supervision_hours": "Supervision h/month"}


@dataclass(frozen=True)
class TeamRow:
    clinician_id: str
    name: str
    license_type: str | None
    values: dict[str, MetricValue]
    status: Status


@dataclass(frozen=True)
class SupervisionLine:
    """An associate's signed supervision in the period against what their license requires."""

    name: str
    license_type: str
    hours: float
    required_hours: float  # what the license requires over the period (monthly hours × months)


@dataclass(frozen=True)
class TeamReport:
    practice_name: str
    supervisor_id: str
    supervisor_name: str
    period: Period
    definitions: dict[str, MetricDefinition]
    rows: list[TeamRow]
    totals: dict[str, MetricValue]
    trend: list[tuple[Period, dict[str, MetricValue]]]  # team totals per week, oldest first
    conditions: list[Condition]
    supervision: list[SupervisionLine] = field(default_factory=list)

    def formatted(self, metric_id: str, value: MetricValue | None) -> str:
        definition = self.definitions.get(metric_id)
        if definition is None or value is None:
            return "no data"
        return definition.format(value.value)


_SEVERITY = {Status.REVIEW: Severity.WARNING, Status.URGENT: Severity.CRITICAL}


def metric_conditions(definitions: Mapping[str, MetricDefinition], values: Iterable[MetricValue],
                      names: Mapping[str, str]) -> list[Condition]:
    """One condition per clinician and metric whose value needs review or is urgent, worst first.

    The key names the metric and the clinician, as the alert job's keys do, so the same figure is the
    same condition whatever the run."""
    out: list[Condition] = []
    for v in values:
        definition = definitions.get(v.metric_id)
        if definition is None:
            continue
        status = definition.status(v.value)
        if status not in _SEVERITY:
            continue
        limit = definition.critical if status is Status.URGENT else definition.warning
        side = "below" if definition.direction.value == "higher" else "above"
        out.append(Condition(
            key=f"metric:{v.metric_id}:{v.subject_id}", alert_type=v.metric_id, severity=_SEVERITY[status],
            user_id=v.subject_id, title=f"{names.get(v.subject_id, 'Unknown')} — {definition.name}: "
            f"{definition.format(v.value)}",
            detail=f"{side} the {'critical' if status is Status.URGENT else 'review'} threshold of "
                   f"{definition.format(limit)} (target {definition.format(definition.benchmark)})",
            record_type="user", record_id=v.subject_id))
    rank = {Severity.CRITICAL: 0, Severity.WARNING: 1, Severity.INFO: 2}
    return sorted(out, key=lambda c: (rank[c.severity], c.title))
