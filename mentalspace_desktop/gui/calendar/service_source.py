"""The calendar's :class:`CalendarSource` over the scheduling services of a signed-in session.

Reads come from :meth:`AppointmentService.calendar` (appointments this user may read in full,
everything else as busy time); drag feedback asks :meth:`AppointmentService.check` for a move, and
answers a new booking's drag from the blocks already loaded (no client or type is chosen yet, so the
service's full check runs in the booking dialog).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from mentalspace_desktop.domain.records import record
from mentalspace_desktop.domain.scheduling.conflicts import Collision, CollisionKind
from mentalspace_desktop.domain.scheduling.times import clock as _clock
from mentalspace_desktop.gui.calendar.model import CalendarEntry
from mentalspace_desktop.gui.calendar.source import Resources
from mentalspace_desktop.gui.localtime import to_local
from mentalspace_desktop.services.calendar_view import (
    BUSY_KINDS,
    WORDED,
    CalendarReadService,
    CalendarViewService,
    room_and_location,
)
from mentalspace_desktop.services.scheduling.appointments import BookingRequest, CalendarItem
from mentalspace_desktop.services.session import UserSession

RISK_SHOWN = WORDED
"""Below this the calendar shows no badge, so the factors are not spelled out (model.risk_label)."""


def entry_of(item: CalendarItem) -> CalendarEntry:
    """The calendar's view of a service item (one appointment; a range is read as entries directly:
    ``CalendarReadService.entries``, held to this by ``tests/gui/calendar/test_calendar_entries.py``)."""
    busy = item.kind != "appointment"
    status = item.status or "scheduled"
    if status == "cancelled" and item.late_cancel:
        status = "late_cancelled"
    risk = item.risk
    return record(CalendarEntry, {  # every field (a week reloads 1,200 of these: see domain.records)
        "id": item.id,
        "start": item.start_local,
        "end": item.end_local,
        "provider_id": item.provider_id or "",
        "provider_name": item.provider_name,
        "room_id": item.room_id or "",
        "room_name": "" if item.telehealth else room_and_location(item.room_name, item.location_name),
        "location_id": item.location_id or "",
        "client_id": item.client_id or "",
        "client_name": item.client_name or ("Group session" if item.group_id else ""),
        "type_id": item.type_id or "",
        "type_name": BUSY_KINDS.get(item.kind, item.type_name) if busy else item.type_name,
        "colour": item.color,
        "status": status,
        "telehealth": item.telehealth,
        "join_url": item.meeting_link or "",
        "risk": risk.score if risk is not None else None,
        "risk_factors": risk.explain() if risk is not None and risk.score >= RISK_SHOWN else "",
        "busy_only": busy,
        "series_id": item.series_id or "",
        "group_id": item.group_id or "",
        "confirmed": item.confirmation == "confirmed",
        "confirmation": item.confirmation,
        "checked_in_at": _wall(item.checked_in_at) if item.checked_in_at is not None else None,
        "editable": item.editable and not busy,
        "detailed": True,
    })


def collision_words(collisions: list[Collision], proposal: CalendarEntry) -> str:
    """What a dragged block runs into, in the desk's words and 12-hour times; one phrase per other
    appointment (a visit that is both the provider's and the client's is named once)."""
    seen: set[str] = set()
    out: list[str] = []
    who = proposal.provider_name or "The provider"
    client = proposal.client_name or "The client"
    for c in collisions:
        if c.other_id and c.other_id in seen:
            continue
        if c.other_id:
            seen.add(c.other_id)
        start, end = _wall(c.start), _wall(c.end)
        span = f"{_clock(start)}–{_clock(end)}" if start and end else ""
        label = f" ({c.label})" if c.label else ""
        out.append({
            CollisionKind.PROVIDER: f"{who} is already booked {span}{label}",
            CollisionKind.CLIENT: f"{client} already has an appointment {span}{label}",
            CollisionKind.ROOM: f"the room is taken {span}{label}",
            CollisionKind.TIME_OFF: f"{who} is off then{label}",
            CollisionKind.OUTSIDE_HOURS: f"outside {who}'s working hours ({c.label})",
            CollisionKind.DAILY_MAXIMUM: f"the daily maximum is reached ({c.label})",
        }[c.kind])
    return "; ".join(out)


def _wall(moment: datetime | None) -> datetime | None:
    """A stored UTC instant as the practice's wall time."""
    if moment is None:
        return None
    return to_local(moment if moment.tzinfo else moment.replace(tzinfo=UTC)).replace(tzinfo=None)


class ServiceSource:
    """Calendar reads and changes through the session's services."""

    def __init__(self, session: UserSession, *, loaded: Callable[[], list[CalendarEntry]] | None = None) -> None:
        self.session = session
        self.appointments = CalendarReadService(session)
        self.view = CalendarViewService(session)
        self.loaded = loaded
        """The entries on screen (for a new booking's quick check while dragging)."""

    def resources(self) -> Resources:
        r = self.view.resources()
        return Resources(r.providers, r.rooms, r.rooms_at, r.locations, r.own_provider_id)

    def entries(self, start: datetime, end: datetime, *, brief: bool = False) -> list[CalendarEntry]:
        last = (end - timedelta(microseconds=1)).date()
        return self.appointments.entries(start.date(), last, brief=brief)

    def details(self, brief: list[CalendarEntry], *,
                within: tuple[datetime, datetime] | None = None) -> list[CalendarEntry]:
        if not brief:
            return []
        tick = timedelta(microseconds=1)
        first = min(e.start for e in brief).date()
        last = max(e.end - tick for e in brief).date()
        if within is not None:  # moved since it was read: still found anywhere on screen
            first, last = min(first, within[0].date()), max(last, (within[1] - tick).date())
        return self.appointments.entries(first, last, ids=[e.id for e in brief])

    def conflict(self, before: CalendarEntry | None, proposal: CalendarEntry) -> str | None:
        if before is None:
            return self._quick_conflict(proposal)
        minutes = int((proposal.end - proposal.start).total_seconds() // 60)
        request = BookingRequest(
            provider_id=proposal.provider_id, type_id=before.type_id, start_local=proposal.start,
            client_id=before.client_id or None, group_id=before.group_id or None, minutes=minutes,
            room_id=proposal.room_id or None, telehealth=before.telehealth,
        )
        try:
            check = self.appointments.check(request, ignore_id=before.id)
        except Exception as exc:  # a refusal of the check itself (permission, bad time) is the reason
            return str(getattr(exc, "message", exc))
        if not check.collisions:
            return None
        return collision_words(check.collisions, proposal)

    def _quick_conflict(self, proposal: CalendarEntry) -> str | None:
        """A new booking dragged out on the grid: is the provider already busy there?"""
        for entry in self.loaded() if self.loaded else []:
            if (entry.provider_id == proposal.provider_id and proposal.provider_id and entry.active
                    and entry.start < proposal.end and proposal.start < entry.end):
                # checked on every slot the pointer crosses: an entry read brief (a crowded week) is named
                # by its type, not read in full each time
                what = "busy" if entry.busy_only else f"{entry.type_name} with {entry.client_name}" \
                    if entry.detailed else entry.type_name
                return f"{entry.provider_name} is already booked {entry.time_label()} ({what})"
        return None

    def move(self, before: CalendarEntry, proposal: CalendarEntry, *, override_reason: str = "") -> None:
        reason = override_reason or None
        same_place = (proposal.provider_id, proposal.room_id) == (before.provider_id, before.room_id)
        if same_place and proposal.start == before.start and proposal.end != before.end:
            self.appointments.resize(before.id, proposal.end, override_reason=reason)
            return
        self.appointments.move(
            before.id, proposal.start,
            provider_id=proposal.provider_id if proposal.provider_id != before.provider_id else None,
            room_id=proposal.room_id if proposal.room_id != before.room_id else None,
            override_reason=reason,
        )

    def check_in(self, entry_id: str) -> None:
        self.appointments.check_in(entry_id)
