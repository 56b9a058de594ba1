"""Performance goals: a target for one clinician's metric over a period, and where it stands.

A goal is active while its period runs (the screen still says whether the value meets the target so
far), then achieved or missed by the value over the whole period. "Meets" follows the metric's
direction: a kept-visit-rate goal is met at or above its target, a no-show-rate goal at or below.
A period with nothing to measure ends missed: a goal nobody could check was not reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from mentalspace_desktop.domain.metrics import Direction, MetricDefinition, Period

MAX_GOAL_DAYS = 366


class GoalState(StrEnum):
    ACTIVE = "active"
    ACHIEVED = "achieved"
    MISSED = "missed"


# A typed 70 % is stored as 70 × 0.01 = 0.7000000000000001: exactly on target must count as met.
TOLERANCE = 1e-9


def meets(definition: MetricDefinition, target: float, value: float | None) -> bool:
    if value is None:
        return False
    if definition.direction is Direction.HIGHER:
        return value >= target - TOLERANCE
    return value <= target + TOLERANCE


def state(definition: MetricDefinition, target: float, value: float | None, period: Period, today: date) -> GoalState:
    if today <= period.end:
        return GoalState.ACTIVE
    return GoalState.ACHIEVED if meets(definition, target, value) else GoalState.MISSED


@dataclass(frozen=True)
class TargetLimits:
    low: float
    high: float
    scale: float  # what a person types times this is stored (percent: 85 -> 0.85)


def limits(definition: MetricDefinition) -> TargetLimits:
    """The range a target may take, in the units a person types."""
    if definition.unit == "percent":
        return TargetLimits(0, 100, 0.01)
    if definition.unit == "hours":
        return TargetLimits(0, 500, 1)
    if definition.unit == "days":
        return TargetLimits(0, 365, 1)
    return TargetLimits(0, 1000, 1)


def check(definition: MetricDefinition, typed_target: float, period: Period) -> dict[str, str]:
    """What is wrong with a goal as typed (field -> words); empty when it can be saved."""
    problems = {}
    bounds = limits(definition)
    if not bounds.low <= typed_target <= bounds.high:
        unit = "%" if definition.unit == "percent" else f" {definition.unit}"
        problems["target"] = (f"The target for {definition.name.lower()} must be from {bounds.low:g}{unit} "
                              f"to {bounds.high:g}{unit}.")
    if period.days > MAX_GOAL_DAYS:
        problems["period"] = "A goal's period can be at most a year long."
    return problems
