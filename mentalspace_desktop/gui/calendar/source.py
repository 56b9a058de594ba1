"""What the calendar page needs from the schedule, as one small interface.

The page asks for the visible range, checks a proposed move while the mouse is dragging (it must be
quick: it runs on every slot the pointer crosses), and asks to move, resize or check in. The real
implementation (:mod:`mentalspace_desktop.gui.calendar.service_source`) calls the scheduling services;
keeping the page on this interface lets it be drawn before a store is open (benchmarks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from mentalspace_desktop.gui.calendar.model import CalendarEntry


@dataclass(frozen=True)
class Resources:
    """Who and where can be booked, in display order."""

    providers: list[tuple[str, str]] = field(default_factory=list)
    """(user id, name)"""
    rooms: list[tuple[str, str]] = field(default_factory=list)
    """(room id, "Room 2 · Main office")"""
    rooms_at: dict[str, str] = field(default_factory=dict)
    """room id → location id"""
    locations: list[tuple[str, str]] = field(default_factory=list)
    """(location id, name)"""
    own_provider_id: str = ""
    """The signed-in user when they see clients themselves (their calendar opens on their own day)."""


class CalendarSource(Protocol):
    def resources(self) -> Resources: ...

    def entries(self, start: datetime, end: datetime, *, brief: bool = False) -> list[CalendarEntry]:
        """Every appointment and busy block from ``start`` to ``end`` (practice wall times);
        ``brief``: appointments with only what places and colours their blocks (``detailed=False``)."""
        ...

    def details(self, brief: list[CalendarEntry], *,
                within: tuple[datetime, datetime] | None = None) -> list[CalendarEntry]:
        """These entries in full, as read now (one that is gone or out of reach is left out), looked
        for on their own days and ``within`` (the range on screen: one moved since it was read
        brief is found where it now is)."""
        ...

    def conflict(self, before: CalendarEntry | None, proposal: CalendarEntry) -> str | None:
        """Why ``proposal`` cannot be booked (what it collides with), or None when it is free."""
        ...

    def move(self, before: CalendarEntry, proposal: CalendarEntry, *, override_reason: str = "") -> None:
        """Move or resize; raises with the reason when the service refuses."""
        ...

    def check_in(self, entry_id: str) -> None: ...
