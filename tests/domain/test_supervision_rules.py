"""Supervision hours at their boundaries, the months a run looks at, the supervision_hours metric and the
alert conditions a team report lists — plain rules, no database."""

from __future__ import annotations

from datetime import date

import pytest

from mentalspace_desktop.domain import metric_rules
from mentalspace_desktop.domain.alerts import Severity
from mentalspace_desktop.domain.compliance import DEFAULT_RULES, Stage, supervision_months, supervision_stage
from mentalspace_desktop.domain.metric_rules import Facts, SupervisionFact
from mentalspace_desktop.domain.metrics import Direction, MetricDefinition, MetricValue, Period
from mentalspace_desktop.domain.team_report import metric_conditions

SETTINGS = DEFAULT_RULES["supervision_hours"]


@pytest.mark.parametrize(("hours", "license_type", "over", "stage"), [
    (2.0, "LPC-Associate", True, Stage.OK), (1.99, "LPC-Associate", True, Stage.OUT_OF_COMPLIANCE),
    (1.0, "LPC-Associate", False, Stage.REMINDER), (3.99, "LMSW", True, Stage.OUT_OF_COMPLIANCE),
    (4.0, "LMSW", True, Stage.OK), (0.0, "LCSW", True, Stage.OK), (0.0, None, True, Stage.OK),
])
def test_supervision_stage_at_its_boundary(hours: float, license_type: str | None, over: bool, stage: Stage) -> None:
    assert supervision_stage(hours, license_type, SETTINGS, month_over=over) is stage


def test_the_months_a_run_checks() -> None:
    assert supervision_months(date(2026, 3, 1)) == ((date(2026, 2, 1), date(2026, 2, 28)),
                                                    (date(2026, 3, 1), date(2026, 3, 1)))
    assert supervision_months(date(2027, 1, 15))[0] == (date(2026, 12, 1), date(2026, 12, 31))


def test_supervision_hours_counts_signed_hours_per_month_for_the_supervised_only() -> None:
    period = Period(date(2026, 10, 1), date(2026, 10, 31))
    facts = Facts(period=period, as_of=period.end, subjects=frozenset({"a", "b"}), supervised=frozenset({"a"}),
                  supervision=[SupervisionFact("s1", "a", date(2026, 10, 3), 90, "individual"),
                               SupervisionFact("s2", "a", date(2026, 10, 17), 30, "group")])
    [value] = metric_rules.evaluate(facts, ["supervision_hours"])
    assert value.subject_id == "a" and value.numerator == 2.0
    assert value.value == pytest.approx(2.0 / (31 / metric_rules.AVERAGE_MONTH_DAYS))
    empty = Facts(period=period, as_of=period.end, subjects=frozenset({"a"}), supervised=frozenset({"a"}))
    assert metric_rules.evaluate(empty, ["supervision_hours"])[0].value == 0.0  # measured, and none logged


def test_alert_conditions_follow_the_thresholds() -> None:
    kvr = MetricDefinition("kept_visit_rate", "Kept visit rate", "engagement", "percent", "", Direction.HIGHER,
                           0.85, 0.80, 0.70)
    values = [MetricValue("kept_visit_rate", "a", 69, 100), MetricValue("kept_visit_rate", "b", 79, 100),
              MetricValue("kept_visit_rate", "c", 80, 100), MetricValue("kept_visit_rate", "d", 0, 0)]
    conditions = metric_conditions({"kept_visit_rate": kvr}, values, {"a": "Ann", "b": "Bo"})
    assert [(c.user_id, c.severity) for c in conditions] == [("a", Severity.CRITICAL), ("b", Severity.WARNING)]
    assert conditions[0].key == "metric:kept_visit_rate:a" and conditions[0].title == "Ann — Kept visit rate: 69%"
    assert "below the critical threshold of 70%" in conditions[0].detail
