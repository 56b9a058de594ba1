"""The appointment life cycle: scheduled → confirmed → checked in → completed, or no-show,
cancelled (late cancellation marked), rescheduled."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from mentalspace_desktop.domain.scheduling.times import clock, day_and_clock, to_local, to_utc


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
CHECK_IN_EARLY_HOURS = 2  # a client may be checked in this long before the start, on the visit's day


class StatusError(ValueError):
    """A status change the life cycle does not allow."""


def check_transition(current: Status, new: Status) -> None:
    if new not in _NEXT[current]:
        raise StatusError(f"An appointment that is {current.label.lower()} cannot become {new.label.lower()}.")


def earliest_check_in(start: datetime, tz: str, hours: int = CHECK_IN_EARLY_HOURS) -> datetime:
    """The first instant a client may be checked in: ``hours`` before the start, but not before
    local midnight of the visit's day (a 00:30 visit is not checked in the evening before)."""
    local = to_local(start, tz)
    midnight = to_utc(local.replace(hour=0, minute=0, second=0, microsecond=0), tz)
    return max(start - timedelta(hours=hours), midnight)


def check_timing(new: Status, start: datetime, now: datetime, tz: str) -> None:
    """Refuse an outcome recorded before the visit could have happened: a check-in before
    :func:`earliest_check_in`, "completed" or "no-show" before the start. A slip on next week's visit
    would otherwise count a no-show that never happened (the no-show score, the dashboards)."""
    when = day_and_clock(to_local(start, tz))
    if new is Status.CHECKED_IN:
        earliest = earliest_check_in(start, tz)
        if now < earliest:
            raise StatusError(f"This visit is on {when}: its client can be checked in from "
                              f"{clock(to_local(earliest, tz))} that day.")
    elif new in (Status.COMPLETED, Status.NO_SHOW) and now < start:
        raise StatusError(f"This visit starts {when}: it can be marked {new.label.lower()} once it has started.")


ATTENDANCE_AFTER_START = frozenset({"attended", "absent"})  # a group member's "cancelled" is told ahead


def attendance_not_yet(start: datetime, now: datetime, tz: str) -> str | None:
    """Why a group session's attendance (attended, absent) cannot be taken yet, or None once it has
    started: a sheet filled in ahead would count an attendance, or an absence, that never happened.
    A member who says they will not come can be marked cancelled at any time."""
    if now >= start:
        return None
    return (f"This session starts {day_and_clock(to_local(start, tz))}: attendance (attended or absent) can be "
            "taken once it has started. A member who has said they will not come can be marked cancelled now.")


def check_attendance_timing(mark: str, start: datetime, now: datetime, tz: str) -> None:
    """Refuse an attended/absent mark on a session that has not started (see :func:`attendance_not_yet`)."""
    if mark in ATTENDANCE_AFTER_START and (why := attendance_not_yet(start, now, tz)):
        raise StatusError(why)


def check_arrived_timing(
    status: Status,
    start: datetime,
    now: datetime,
    tz: str,
    *,
    was: tuple[Status, datetime] | None = None,
    grace: timedelta = timedelta(0),
) -> None:
    """:func:`check_timing` for a status that arrives already set (a row a workstation pushed to the
    hub), so the hub holds a workstation's row to the rule its services follow.

    ``was`` is the status and start the receiver held before (None: a new row). An unchanged status
    is not checked again (a visit checked in yesterday stays checked in), except an outcome whose start
    moved: the services never move a completed or no-show visit, so one moved into the future is as
    early as a fresh outcome. ``grace`` allows for the sender's clock running a little ahead of the
    receiver's (within the sync's skew warning), so an honest "no-show" at the start is not refused.
    """
    if was is not None:
        old_status, old_start = was
        if status is old_status and (status not in (Status.COMPLETED, Status.NO_SHOW) or start == old_start):
            return
    check_timing(status, start, now + grace, tz)


def is_late_cancel(start: datetime, cancelled_at: datetime, hours: int = LATE_CANCEL_HOURS) -> bool:
    """Cancelled less than ``hours`` before it was to start (or after)."""
    return start - cancelled_at < timedelta(hours=hours)


def is_stale(status: Status, start: datetime, now: datetime, hours: int = STALE_AFTER_HOURS) -> bool:
    """Still "scheduled" or "confirmed" a day after its time: the front desk must say what happened."""
    return status in (Status.SCHEDULED, Status.CONFIRMED) and now - start >= timedelta(hours=hours)
