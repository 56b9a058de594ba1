"""Productivity metrics: their definitions (data from ``resources/metrics.json``), values and statuses.

A metric's value is always a numerator over a denominator (a count has denominator 1, a mean the
number of things averaged), so every figure can be explained and a period with nothing to measure
reads "no data" instead of raising a division error or pretending to be 0 %. Whether a value is on
track, needs review or is urgent follows from the definition's thresholds and its direction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class Direction(StrEnum):
    HIGHER = "higher"  # higher is better (kept visit rate)
    LOWER = "lower"  # lower is better (no-show rate)


class Status(StrEnum):
    NO_DATA = "no data"
    ON_TRACK = "on track"
    REVIEW = "review"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _STATUS_RANK[self]


_STATUS_RANK = {Status.NO_DATA: 0, Status.ON_TRACK: 1, Status.REVIEW: 2, Status.URGENT: 3}

UNITS = frozenset({"percent", "number", "count", "hours", "days"})


class DefinitionError(ValueError):
    """A metric definition that cannot be used; the message names the metric and the field."""


@dataclass(frozen=True)
class MetricDefinition:
    id: str
    name: str
    category: str
    unit: str
    formula: str
    direction: Direction
    benchmark: float
    warning: float
    critical: float

    def status(self, value: float | None) -> Status:
        """On track until the value crosses the warning threshold; urgent past the critical one."""
        if value is None:
            return Status.NO_DATA
        if self.direction is Direction.HIGHER:
            if value < self.critical:
                return Status.URGENT
            return Status.REVIEW if value < self.warning else Status.ON_TRACK
        if value > self.critical:
            return Status.URGENT
        return Status.REVIEW if value > self.warning else Status.ON_TRACK

    def format(self, value: float | None) -> str:
        if value is None:
            return "no data"
        if self.unit == "percent":
            return f"{value * 100:.0f}%"
        if self.unit == "count":
            return f"{value:.0f}"
        if self.unit == "hours":
            return f"{value:.1f} h"
        if self.unit == "days":
            return f"{value:.1f} days"
        return f"{value:.1f}"


def parse_definitions(data: Mapping[str, Any]) -> dict[str, MetricDefinition]:
    """Definitions by id, checked: an unknown unit, a threshold on the wrong side or a duplicate id
    is refused with the metric named, so a bad edit to the data file never reaches a dashboard."""
    out: dict[str, MetricDefinition] = {}
    for raw in data.get("metrics", []):
        metric_id = str(raw.get("id", "")).strip()
        if not metric_id.isidentifier():
            raise DefinitionError(f"Metric id {metric_id!r} is not a snake_case name.")
        if metric_id in out:
            raise DefinitionError(f"Metric {metric_id} is defined twice.")
        try:
            definition = MetricDefinition(
                id=metric_id,
                name=str(raw["name"]),
                category=str(raw["category"]),
                unit=str(raw["unit"]),
                formula=str(raw["formula"]),
                direction=Direction(raw["direction"]),
                benchmark=float(raw["benchmark"]),
                warning=float(raw["warning"]),
                critical=float(raw["critical"]),
            )
        except KeyError as exc:
            raise DefinitionError(f"Metric {metric_id} has no {exc.args[0]}.") from None
        except ValueError as exc:
            raise DefinitionError(f"Metric {metric_id}: {exc}.") from None
        if definition.unit not in UNITS:
            raise DefinitionError(f"Metric {metric_id} has an unknown unit {definition.unit!r}.")
        ordered = (definition.benchmark, definition.warning, definition.critical)
        worse_ascending = definition.direction is Direction.LOWER
        if list(ordered) != sorted(ordered, reverse=not worse_ascending):
            raise DefinitionError(
                f"Metric {metric_id}: benchmark, warning and critical must run from better to worse."
            )
        out[metric_id] = definition
    return out


@dataclass(frozen=True)
class MetricValue:
    """One metric for one subject (a clinician, a team or the practice) over one period."""

    metric_id: str
    subject_id: str
    numerator: float
    denominator: float

    @property
    def value(self) -> float | None:
        return None if self.denominator == 0 else self.numerator / self.denominator


def combine(values: Iterable[MetricValue], *, subject_id: str,
            counts: frozenset[str] = frozenset()) -> dict[str, MetricValue]:
    """A team's or the practice's values: numerators and denominators summed per metric, so a team's
    rate weighs each clinician by their volume (never an average of rates). A count (``counts``:
    unsigned notes) is the sum of the counts."""
    sums: dict[str, tuple[float, float]] = {}
    for v in values:
        num, den = sums.get(v.metric_id, (0.0, 0.0))
        sums[v.metric_id] = (num + v.numerator, 1.0 if v.metric_id in counts else den + v.denominator)
    return {mid: MetricValue(mid, subject_id, num, den) for mid, (num, den) in sums.items()}


def overall_status(definitions: Mapping[str, MetricDefinition], values: Iterable[MetricValue]) -> Status:
    """The worst status among ``values``: one urgent metric makes the clinician urgent."""
    worst = Status.NO_DATA
    for v in values:
        status = definitions[v.metric_id].status(v.value)
        if status.rank > worst.rank:
            worst = status
    return worst


# -- periods ------------------------------------------------------------------------------------


class PeriodKind(StrEnum):
    THIS_WEEK = "this week"
    LAST_WEEK = "last week"
    MONTH = "month"
    QUARTER = "quarter"
    CUSTOM = "custom"


@dataclass(frozen=True)
class Period:
    """Days ``start`` to ``end`` inclusive, in the practice's calendar."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError("A period cannot end before it starts.")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length just before, for "compared with the previous period"."""
        length = timedelta(days=self.days)
        return Period(self.start - length, self.start - timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end


def period_for(kind: PeriodKind, today: date, *, start: date | None = None, end: date | None = None) -> Period:
    """The period a dashboard's period chooser means on ``today`` (weeks start on Monday)."""
    monday = today - timedelta(days=today.weekday())
    if kind is PeriodKind.THIS_WEEK:
        return Period(monday, monday + timedelta(days=6))
    if kind is PeriodKind.LAST_WEEK:
        return Period(monday - timedelta(days=7), monday - timedelta(days=1))
    if kind is PeriodKind.MONTH:
        first = today.replace(day=1)
        next_first = (first + timedelta(days=32)).replace(day=1)
        return Period(first, next_first - timedelta(days=1))
    if kind is PeriodKind.QUARTER:
        first_month = 3 * ((today.month - 1) // 3) + 1
        first = date(today.year, first_month, 1)
        after = date(today.year + (first_month == 10), 1 if first_month == 10 else first_month + 3, 1)
        return Period(first, after - timedelta(days=1))
    if start is None or end is None:
        raise ValueError("A custom period needs a start and an end.")
    return Period(start, end)


def weeks_back(today: date, count: int) -> list[Period]:
    """The last ``count`` whole weeks up to and including this one, oldest first (trend charts)."""
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(days=7 * i) for i in range(count - 1, -1, -1)]
    return [Period(start, start + timedelta(days=6)) for start in starts]
