"""The appointment life cycle: scheduled → confirmed → checked in → completed, or no-show,
cancelled (late cancellation marked), rescheduled."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    SCHEDULED = "scheduled"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"
    RESCHEDULED = "rescheduled"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.SCHEDULED: "Scheduled",
    Status.CONFIRMED: "Confirmed",
    Status.CHECKED_IN: "Checked in",
    Status.COMPLETED: "Completed",
    Status.NO_SHOW: "No-show",
    Status.CANCELLED: "Cancelled",
    Status.RESCHEDULED: "Rescheduled",
}

# Statuses whose appointment holds its time (a cancelled or rescheduled one frees it).
HOLDS_TIME = frozenset({Status.SCHEDULED, Status.CONFIRMED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW})
OPEN = frozenset({Status.SCHEDULED, Status.CONFIRMED, Status.CHECKED_IN})
FINAL = frozenset({Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED, Status.RESCHEDULED})

_NEXT: dict[Status, frozenset[Status]] = {
    Status.SCHEDULED: frozenset({Status.CONFIRMED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW,
                                 Status.CANCELLED, Status.RESCHEDULED}),
    Status.CONFIRMED: frozenset({Status.SCHEDULED, Status.CHECKED_IN, Status.COMPLETED, Status.NO_SHOW,
                                 Status.CANCELLED, Status.RESCHEDULED}),
    Status.CHECKED_IN: frozenset({Status.COMPLETED, Status.CONFIRMED, Status.NO_SHOW}),  # undo a wrong check-in
    Status.NO_SHOW: frozenset({Status.CHECKED_IN}),  # arrived late after all
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.RESCHEDULED: frozenset(),
}

LATE_CANCEL_HOURS = 24
STALE_AFTER_HOURS = 24


class StatusError(ValueError):
    """A status change the life cycle does not allow."""


def check_transition(current: Status, new: Status) -> None:
    if new not in _NEXT[current]:
        raise StatusError(f"An appointment that is {current.label.lower()} cannot become {new.label.lower()}.")


def is_late_cancel(start: datetime, cancelled_at: datetime, hours: int = LATE_CANCEL_HOURS) -> bool:
    """Cancelled less than ``hours`` before it was to start (or after)."""
    return start - cancelled_at < timedelta(hours=hours)


def is_stale(status: Status, start: datetime, now: datetime, hours: int = STALE_AFTER_HOURS) -> bool:
    """Still "scheduled" or "confirmed" a day after its time: the front desk must say what happened."""
    return status in (Status.SCHEDULED, Status.CONFIRMED) and now - start >= timedelta(hours=hours)
