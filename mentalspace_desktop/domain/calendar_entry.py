"""What the calendar shows of one appointment or busy block: one record from the calendar read to the
screen — no Qt, no I/O.

The calendar read (``services.calendar_view.CalendarReadService.entries``) makes these directly, a
week's 1,200 at a time, and the calendar's model, grid, lists and dialogs show them; so the record
lives below both (the service may not import the GUI, the GUI reads it as is).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from mentalspace_desktop.domain.calendar_layout import Span
from mentalspace_desktop.domain.scheduling.times import clock as _clock

DEFAULT_TYPE_COLOUR = "#4a7bd0"  # an appointment type's colour until the administrator picks one (as gui.theme)

STATUS_LABELS = {
    "scheduled": "Scheduled",
    "confirmed": "Confirmed",
    "arrived": "Arrived",
    "checked_in": "Checked in",
    "completed": "Completed",
    "no_show": "No-show",
    "cancelled": "Cancelled",
    "late_cancelled": "Late cancellation",
    "rescheduled": "Rescheduled",
}
INACTIVE = frozenset({"cancelled", "late_cancelled", "rescheduled", "no_show"})
CONFIRMATIONS = {  # what the reminders recorded: (mark, words, theme tone) — the mark is read with its words
    "confirmed": ("●", "Confirmed", "good"),
    "unconfirmed": ("○", "Not confirmed", "muted"),
    "no_answer": ("?", "No answer", "warning"),
    "declined": ("✕", "Declined", "danger"),
}
AWAITED = frozenset({"scheduled", "confirmed"})
"""Statuses whose confirmation still matters (the client has not come yet)."""


@dataclass(frozen=True)
class CalendarEntry:
    """What the calendar shows of one appointment or busy block, in the practice's wall time."""

    id: str
    start: datetime
    end: datetime
    provider_id: str
    provider_name: str = ""
    room_id: str = ""
    room_name: str = ""
    location_id: str = ""
    client_id: str = ""
    client_name: str = ""
    type_id: str = ""
    type_name: str = ""
    colour: str = DEFAULT_TYPE_COLOUR
    status: str = "scheduled"
    telehealth: bool = False
    join_url: str = ""
    risk: float | None = None
    """No-show risk 0–1 (shown as a badge when it is worth a reminder call)."""
    risk_factors: str = ""
    busy_only: bool = False
    """Another provider's time that this workstation sees only as busy (no client, no type)."""
    series_id: str = ""
    group_id: str = ""
    confirmed: bool = False
    confirmation: str = ""
    """What the client answered to a reminder: confirmed, declined, no_answer or unconfirmed ("" unknown)."""
    checked_in_at: datetime | None = None
    editable: bool = True
    detailed: bool = True
    """False for a brief entry: only what places and colours its block (times, provider, room,
    location, type, status, editable) — no client's name, no room's words, no risk. A view too
    crowded for words reads its blocks so; the screen reads the details of any block it shows in words
    (``CalendarModel.entry``)."""

    @property
    def span(self) -> Span:
        """The entry as the layout sees it (a named tuple: making it is cheaper than caching it)."""
        return Span(self.id, self.start, self.end, self.provider_id, self.room_id)

    @property
    def active(self) -> bool:
        return self.status not in INACTIVE

    @property
    def title(self) -> str:
        if self.busy_only:
            return self.type_name or "Busy"
        return self.client_name or self.type_name or "Appointment"

    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status.replace("_", " ").capitalize())

    def time_label(self) -> str:
        return f"{_clock(self.start)}–{_clock(self.end)}"

    def confirmation_mark(self) -> tuple[str, str, str] | None:
        """(mark, words, tone) of the confirmation while it still matters, else None."""
        if self.busy_only or self.status not in AWAITED or (self.group_id and not self.client_id):
            return None  # a group session is confirmed member by member, not as one visit
        key = self.confirmation or ("confirmed" if self.confirmed else "unconfirmed")
        return CONFIRMATIONS.get(key)

    def risk_label(self) -> str:
        """"High risk"/"Risk" badge text, or "" when the risk is low or unknown."""
        if self.risk is None or self.busy_only or not self.active:
            return ""
        if self.risk >= 0.5:
            return f"High no-show risk {round(self.risk * 100)}%"
        if self.risk >= 0.25:
            return f"No-show risk {round(self.risk * 100)}%"
        return ""

    def describe(self) -> str:
        """One sentence for screen readers and tooltips."""
        if self.busy_only:
            return f"{self.title}, {self.time_label()}, {self.provider_name}"
        mark = self.confirmation_mark()
        parts = [self.title, self.type_name, self.time_label(), self.provider_name,
                 mark[1] if mark else self.status_label()]
        parts.append("telehealth" if self.telehealth else (self.room_name or ""))
        if self.risk_label():
            parts.append(self.risk_label() + (f" ({self.risk_factors})" if self.risk_factors else ""))
        return ", ".join(p for p in parts if p)

    def moved(self, *, start: datetime, end: datetime, provider_id: str | None = None, room_id: str | None = None,
              provider_name: str | None = None) -> CalendarEntry:
        return replace(
            self,
            start=start,
            end=end,
            provider_id=self.provider_id if provider_id is None else provider_id,
            provider_name=self.provider_name if provider_name is None else provider_name,
            room_id=self.room_id if room_id is None else room_id,
        )
