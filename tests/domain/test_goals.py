"""Performance goals (domain.goals): active while the period runs, then achieved or missed by the
metric's direction; targets checked against the metric's unit."""

from __future__ import annotations

from datetime import date

from mentalspace_desktop.domain.goals import GoalState, check, limits, meets, state
from mentalspace_desktop.domain.metrics import Direction, MetricDefinition, Period

KVR = MetricDefinition("kept_visit_rate", "Kept visit rate", "engagement", "percent", "", Direction.HIGHER,
                       0.85, 0.8, 0.7)
NO_SHOW = MetricDefinition("no_show_rate", "No-show rate", "engagement", "percent", "", Direction.LOWER,
                           0.08, 0.12, 0.2)
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30))


def test_active_until_the_last_day_then_achieved_or_missed() -> None:
    assert state(KVR, 0.85, 0.5, NOVEMBER, date(2026, 11, 30)) is GoalState.ACTIVE
    assert state(KVR, 0.85, 0.85, NOVEMBER, date(2026, 12, 1)) is GoalState.ACHIEVED  # at the target is met
    assert state(KVR, 0.85, 0.84, NOVEMBER, date(2026, 12, 1)) is GoalState.MISSED
    assert state(NO_SHOW, 0.10, 0.10, NOVEMBER, date(2026, 12, 1)) is GoalState.ACHIEVED  # lower is better
    assert state(NO_SHOW, 0.10, 0.11, NOVEMBER, date(2026, 12, 1)) is GoalState.MISSED
    assert state(KVR, 0.85, None, NOVEMBER, date(2026, 12, 1)) is GoalState.MISSED  # nothing measured
    assert not meets(KVR, 0.85, None)


def test_targets_are_checked_in_the_units_people_type() -> None:
    assert limits(KVR).scale == 0.01
    assert check(KVR, 85, NOVEMBER) == {}
    assert "from 0% to 100%" in check(KVR, 120, NOVEMBER)["target"]
    assert "a year" in check(KVR, 85, Period(date(2026, 1, 1), date(2027, 6, 1)))["period"]
