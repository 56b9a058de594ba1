"""Double bookings: a provider, a client or a room taken twice, buffers included.

A provider's buffers (minutes kept free before and after a visit, from the appointment type) must
not overlap another visit, and a new visit must not fall into an existing one's buffers: two visits
need a gap of at least the larger of the first one's buffer after and the second one's buffer before.
A client or a room is simply not in two places at once (no buffers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from mentalspace_desktop.domain.scheduling.times import Interval, span


class CollisionKind(StrEnum):
    PROVIDER = "provider"
    CLIENT = "client"
    ROOM = "room"
    TIME_OFF = "time_off"
    OUTSIDE_HOURS = "outside_hours"
    DAILY_MAXIMUM = "daily_maximum"


@dataclass(frozen=True)
class Block:
    """Something that takes time: an appointment, approved time off, an imported busy event.

    ``label`` is what may be said about it to the person booking (for a colleague's appointment on a
    clinician's workstation, only "busy").
    """

    id: str
    start: datetime
    end: datetime
    provider_id: str | None = None
    client_id: str | None = None
    room_id: str | None = None
    buffer_before: int = 0
    buffer_after: int = 0
    kind: str = "appointment"  # appointment, time_off, imported
    label: str = "busy"


@dataclass(frozen=True)
class Candidate:
    """The visit being booked or moved."""

    start: datetime
    end: datetime
    provider_id: str
    client_id: str | None = None
    room_id: str | None = None
    buffer_before: int = 0
    buffer_after: int = 0
    ignore_ids: frozenset[str] = frozenset()  # the appointment itself, when moving it
    location_id: str | None = None  # the office the visit is at (None: telehealth or not said)


@dataclass(frozen=True)
class Collision:
    kind: CollisionKind
    other_id: str | None
    start: datetime
    end: datetime
    label: str

    def describe(self) -> str:
        """One line for the person booking, e.g. "the provider is already booked Tue Mar 10, 10:00 AM–10:50 AM
        (busy)" (start and end as wall-clock times)."""
        when = span(self.start, self.end)
        what = {
            CollisionKind.PROVIDER: "the provider is already booked",
            CollisionKind.CLIENT: "the client already has an appointment",
            CollisionKind.ROOM: "the room is taken",
            CollisionKind.TIME_OFF: "the provider is off",
            CollisionKind.OUTSIDE_HOURS: "outside the provider's working hours",
            CollisionKind.DAILY_MAXIMUM: "the daily maximum for this appointment type is reached",
        }[self.kind]
        return f"{what} {when} ({self.label})" if self.label else f"{what} {when}"


def provider_overlap(a: Candidate | Block, b: Block) -> bool:
    """Whether two visits of one provider collide, buffers included (gap ≥ the larger buffer)."""
    ia, ib = Interval(a.start, a.end), Interval(b.start, b.end)
    return ia.padded(a.buffer_before, a.buffer_after).overlaps(ib) or ia.overlaps(
        ib.padded(b.buffer_before, b.buffer_after)
    )


def find_collisions(candidate: Candidate, blocks: Iterable[Block]) -> list[Collision]:
    """Every block ``candidate`` collides with, as provider, client or room (time off included)."""
    out: list[Collision] = []
    mine = Interval(candidate.start, candidate.end)
    for b in blocks:
        if b.id in candidate.ignore_ids:
            continue
        theirs = Interval(b.start, b.end)
        if b.provider_id is not None and b.provider_id == candidate.provider_id:
            if b.kind == "time_off" and mine.overlaps(theirs):
                out.append(Collision(CollisionKind.TIME_OFF, b.id, b.start, b.end, b.label))
                continue
            if b.kind != "time_off" and provider_overlap(candidate, b):
                out.append(Collision(CollisionKind.PROVIDER, b.id, b.start, b.end, b.label))
                continue
        if candidate.client_id is not None and b.client_id == candidate.client_id and mine.overlaps(theirs):
            out.append(Collision(CollisionKind.CLIENT, b.id, b.start, b.end, b.label))
            continue
        if candidate.room_id is not None and b.room_id == candidate.room_id and mine.overlaps(theirs):
            out.append(Collision(CollisionKind.ROOM, b.id, b.start, b.end, b.label))
    return sorted(out, key=lambda c: (c.start, c.kind))


@dataclass(frozen=True)
class DoubleBooking:
    """Two kept appointments that collide (booked on two workstations while apart)."""

    kind: CollisionKind
    first_id: str
    second_id: str


def double_bookings(blocks: Iterable[Block]) -> list[DoubleBooking]:
    """Pairs of appointment blocks that collide as provider, client or room: a sweep in start order."""
    items = sorted((b for b in blocks if b.kind == "appointment"), key=lambda b: (b.start, b.id))
    found: dict[tuple[str, str], CollisionKind] = {}
    active: list[Block] = []
    for b in items:
        # Drop blocks that ended (buffers included) before this one can touch them: buffers ≤ 4 h.
        active = [a for a in active if (a.end - b.start).total_seconds() > -4 * 3600]
        for a in active:
            kind: CollisionKind | None = None
            if a.provider_id and a.provider_id == b.provider_id and provider_overlap(a, b):
                kind = CollisionKind.PROVIDER
            elif a.client_id and a.client_id == b.client_id and Interval(a.start, a.end).overlaps(
                    Interval(b.start, b.end)):
                kind = CollisionKind.CLIENT
            elif a.room_id and a.room_id == b.room_id and Interval(a.start, a.end).overlaps(Interval(b.start, b.end)):
                kind = CollisionKind.ROOM
            if kind is not None:
                found.setdefault((a.id, b.id), kind)
        active.append(b)
    return [DoubleBooking(kind, first, second) for (first, second), kind in found.items()]
