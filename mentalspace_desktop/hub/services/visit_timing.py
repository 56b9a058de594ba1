"""The outcome-timing rule on the rows workstations push: no check-in long before a visit, no
"completed" or "no-show" before it starts, no group member marked attended or absent before the
session starts.

A workstation's services refuse these (``domain.scheduling.status.check_timing``), but a pushed row is
only data: a workstation whose clock runs days ahead, or a crafted push, could otherwise record a
no-show for next week's visit, and the no-show score, the dashboards and the compliance run would
count a visit that never happened. The hub applies the same rule with its own clock and refuses such a
row with the rule's words, like any other invalid change, so its author sees why on the Sync page.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.scheduling.status import (
    Status,
    StatusError,
    check_arrived_timing,
    check_attendance_timing,
)
from mentalspace_desktop.store.models import Practice
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.store.types import utcnow
from mentalspace_desktop.sync.protocol import CLOCK_SKEW_WARNING_SECONDS

# A workstation's clock may run this far ahead of the hub's before sync warns about it: an outcome
# recorded honestly at the start, on such a clock, is not refused.
GRACE = timedelta(seconds=CLOCK_SKEW_WARNING_SECONDS)
CHECKED = ("appointments", "appointment_status_history", "group_attendance")
DEFAULT_ZONE = "America/New_York"  # the practice's zone when none is saved, as everywhere else


class VisitTiming:
    """One per push batch: reads the practice's time zone and the hub's clock once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._zone: str | None = None
        self.now = utcnow()

    def _tz(self) -> str:
        if self._zone is None:
            with self.session.no_autoflush:
                self._zone = self.session.scalar(select(Practice.time_zone)) or DEFAULT_ZONE
        return self._zone

    def refusal(self, table: str, row: dict[str, Any], hub_row: dict[str, Any] | None,
                appointment: Callable[[str], Appointment | None]) -> str | None:
        """Why the hub may not hold ``row`` (the merged row of a pushed change to an appointment, its
        status history or a group's attendance), or None. ``appointment`` finds a visit by id, as this
        batch left it."""
        if table == "group_attendance":
            return self._attendance_refusal(row, hub_row, appointment)
        if row.get("status") is None:
            return None  # left to the database's default and its own checks
        status = _status(row["status"])
        if status is None:
            return f"the hub does not know the appointment status {row['status']!r}"
        if table == "appointments":
            if row.get("start_at") is None:
                return None  # a visit without a start: the database refuses it
            start = _instant(row["start_at"])
            held = _status(hub_row.get("status")) if hub_row is not None else None
            was = (held, _instant(hub_row["start_at"])) if held is not None and hub_row is not None else None
        else:
            if hub_row is not None and hub_row.get("status") == row.get("status"):
                return None
            visit = appointment(str(row.get("appointment_id") or ""))
            if visit is None:
                return None  # the foreign key refuses it, in the words it uses for every such row
            start, was = visit.start_at, None
        try:
            check_arrived_timing(status, start, self.now, self._tz(), was=was, grace=GRACE)
        except StatusError as exc:
            return (f"{exc} The hub keeps the visit as it was; if this computer's clock is wrong, set the "
                    "correct time and record the outcome again once the visit has started.")
        return None

    def _attendance_refusal(self, row: dict[str, Any], hub_row: dict[str, Any] | None,
                            appointment: Callable[[str], Appointment | None]) -> str | None:
        if hub_row is not None and hub_row.get("status") == row.get("status"):
            return None  # a mark kept as it was (its session moved later) is not refused again
        visit = appointment(str(row.get("appointment_id") or ""))
        if visit is None:
            return None
        try:
            check_attendance_timing(str(row.get("status")), visit.start_at, self.now + GRACE, self._tz())
        except StatusError as exc:
            return f"{exc} The hub keeps the sheet as it was."
        return None


def _status(value: Any) -> Status | None:
    try:
        return Status(value)
    except ValueError:
        return None


def _instant(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
