"""The front desk's words for where each of today's appointments stands, from status and the clock.

"Late" and "no-show so far" are not statuses anyone recorded: they are what the clock says about an
appointment still waiting for its client. The Today list shows them so the desk can call or mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

LATE_AFTER = timedelta(minutes=10)
"""A client not checked in ten minutes after the start is late."""


class Standing(StrEnum):
    EXPECTED = "expected"
    DUE = "due"
    LATE = "late"
    NOT_ARRIVED = "not_arrived"  # the time is over and no one checked in: a no-show so far
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


WAITING = frozenset({"scheduled", "confirmed"})


def standing(status: str, start: datetime, end: datetime, now: datetime) -> Standing:
    if status in ("checked_in", "arrived"):
        return Standing.CHECKED_IN
    if status == "completed":
        return Standing.COMPLETED
    if status == "no_show":
        return Standing.NO_SHOW
    if status not in WAITING:
        return Standing.CANCELLED
    if now >= end:
        return Standing.NOT_ARRIVED
    if now >= start + LATE_AFTER:
        return Standing.LATE
    if now >= start - timedelta(minutes=15):
        return Standing.DUE
    return Standing.EXPECTED


def standing_label(value: Standing, start: datetime, now: datetime, *, confirmed: bool = False,
                   checked_in_at: datetime | None = None) -> str:
    if value is Standing.CHECKED_IN:
        return f"Checked in {_clock(checked_in_at)}" if checked_in_at else "Checked in"
    if value is Standing.LATE:
        return f"Late ({int((now - start).total_seconds() // 60)} min)"
    if value is Standing.NOT_ARRIVED:
        return "No-show so far"
    if value is Standing.DUE:
        return "Due now" + (" · confirmed" if confirmed else "")
    if value is Standing.EXPECTED:
        return "Confirmed" if confirmed else "Expected"
    return {Standing.COMPLETED: "Completed", Standing.NO_SHOW: "No-show", Standing.CANCELLED: "Cancelled"}[value]


@dataclass(frozen=True)
class DaySummary:
    total: int
    checked_in: int
    late: int
    not_arrived: int
    telehealth: int

    def text(self) -> str:
        parts = [f"{self.total} appointment{'s' if self.total != 1 else ''}", f"{self.checked_in} checked in"]
        if self.late:
            parts.append(f"{self.late} late")
        if self.not_arrived:
            parts.append(f"{self.not_arrived} no-show so far")
        if self.telehealth:
            parts.append(f"{self.telehealth} telehealth")
        return " · ".join(parts)


def summarize(items: Iterable[tuple[Standing, bool]]) -> DaySummary:
    """(standing, telehealth) of each appointment → the line over the Today list (cancelled not counted)."""
    total = checked = late = gone = tele = 0
    for value, telehealth in items:
        if value is Standing.CANCELLED:
            continue
        total += 1
        checked += value in (Standing.CHECKED_IN, Standing.COMPLETED)
        late += value is Standing.LATE
        gone += value is Standing.NOT_ARRIVED
        tele += telehealth
    return DaySummary(total, checked, late, gone, tele)


def _clock(moment: datetime) -> str:
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
