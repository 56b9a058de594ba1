"""Metric definitions, values, statuses and periods (domain.metrics): pure, no database."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mentalspace_desktop.domain.metrics import (
    DefinitionError,
    Direction,
    MetricDefinition,
    MetricValue,
    Period,
    PeriodKind,
    Status,
    combine,
    overall_status,
    parse_definitions,
    period_for,
    weeks_back,
)
from mentalspace_desktop.resources import resource_path

KVR = MetricDefinition("kept_visit_rate", "Kept visit rate", "engagement", "percent", "", Direction.HIGHER,
                       0.85, 0.80, 0.70)
NSR = MetricDefinition("no_show_rate", "No-show rate", "engagement", "percent", "", Direction.LOWER,
                       0.08, 0.12, 0.20)

REQUIRED = {
    "kept_visit_rate", "no_show_rate", "cancellation_rate", "rebook_rate", "sessions_per_day",
    "same_day_documentation_rate", "average_documentation_time", "treatment_plan_currency",
    "unsigned_note_backlog", "client_retention_90d", "crisis_intervention_rate", "safety_plan_compliance",
    "schedule_fill_rate", "prime_time_utilization", "average_lead_time", "supervision_hours",
    "supervision_note_timeliness", "informed_consent_currency", "minor_consent_compliance",
    "telehealth_consent_compliance", "complete_demographics_rate", "hipaa_training_currency",
}


def test_the_shipped_dictionary_parses_and_holds_every_metric_the_practice_needs() -> None:
    definitions = parse_definitions(json.loads(resource_path("metrics.json").read_text(encoding="utf-8")))
    assert set(definitions) >= REQUIRED


@pytest.mark.parametrize(("value", "status"), [
    (None, Status.NO_DATA), (0.90, Status.ON_TRACK), (0.80, Status.ON_TRACK), (0.79, Status.REVIEW),
    (0.70, Status.REVIEW), (0.69, Status.URGENT),
])
def test_status_of_a_higher_is_better_metric_at_its_thresholds(value: float | None, status: Status) -> None:
    assert KVR.status(value) is status


@pytest.mark.parametrize(("value", "status"), [
    (0.05, Status.ON_TRACK), (0.12, Status.ON_TRACK), (0.13, Status.REVIEW), (0.20, Status.REVIEW),
    (0.21, Status.URGENT),
])
def test_status_of_a_lower_is_better_metric_at_its_thresholds(value: float, status: Status) -> None:
    assert NSR.status(value) is status


def test_zero_denominator_is_no_data_not_a_division_error() -> None:
    value = MetricValue("kept_visit_rate", "c1", 0, 0)
    assert value.value is None
    assert KVR.format(value.value) == "no data"


def test_a_team_rate_weighs_clinicians_by_volume() -> None:
    team = combine([MetricValue("kept_visit_rate", "a", 9, 10), MetricValue("kept_visit_rate", "b", 1, 90)],
                   subject_id="team")
    assert team["kept_visit_rate"].value == pytest.approx(10 / 100)


def test_overall_status_is_the_worst() -> None:
    defs = {"kept_visit_rate": KVR, "no_show_rate": NSR}
    values = [MetricValue("kept_visit_rate", "a", 9, 10), MetricValue("no_show_rate", "a", 3, 10)]
    assert overall_status(defs, values) is Status.URGENT
    assert overall_status(defs, []) is Status.NO_DATA


@pytest.mark.parametrize("edit", [
    {"direction": "sideways"}, {"unit": "furlongs"}, {"warning": 0.9}, {"id": "kept visit"},
])
def test_a_bad_definition_is_refused_with_the_metric_named(edit: dict[str, object]) -> None:
    raw = {"id": "kept_visit_rate", "name": "KVR", "category": "x", "unit": "percent", "formula": "",
           "direction": "higher", "benchmark": 0.85, "warning": 0.80, "critical": 0.70} | edit
    with pytest.raises(DefinitionError):
        parse_definitions({"metrics": [raw]})


def test_periods() -> None:
    wed = date(2026, 11, 25)
    assert period_for(PeriodKind.THIS_WEEK, wed) == Period(date(2026, 11, 23), date(2026, 11, 29))
    assert period_for(PeriodKind.LAST_WEEK, wed) == Period(date(2026, 11, 16), date(2026, 11, 22))
    assert period_for(PeriodKind.MONTH, date(2026, 2, 10)) == Period(date(2026, 2, 1), date(2026, 2, 28))
    assert period_for(PeriodKind.QUARTER, date(2026, 11, 25)) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert period_for(PeriodKind.QUARTER, date(2026, 2, 1)) == Period(date(2026, 1, 1), date(2026, 3, 31))
    with pytest.raises(ValueError):
        period_for(PeriodKind.CUSTOM, wed)
    with pytest.raises(ValueError):
        Period(date(2026, 1, 2), date(2026, 1, 1))


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 400))
def test_the_previous_period_is_as_long_and_ends_the_day_before(start: date, length: int) -> None:
    from datetime import timedelta

    period = Period(start, start + timedelta(days=length - 1))
    before = period.previous()
    assert before.days == period.days
    assert (period.start - before.end).days == 1


def test_twelve_weeks_back_are_whole_consecutive_weeks_ending_this_week() -> None:
    weeks = weeks_back(date(2026, 11, 25), 12)
    assert len(weeks) == 12
    assert weeks[-1].contains(date(2026, 11, 25))
    assert all(w.days == 7 and w.start.weekday() == 0 for w in weeks)
    assert all((b.start - a.end).days == 1 for a, b in zip(weeks, weeks[1:], strict=False))
