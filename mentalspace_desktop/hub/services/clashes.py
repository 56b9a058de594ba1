""""Booked twice while offline": the hub decides, once, for every workstation.

Each workstation refuses a double booking when it books; two workstations apart from each other
cannot. Both appointments are kept (never a silent loss of either) and the hub — the only place
that holds both — finds the collision when the second arrives, in the same transaction as the push
that brought it, and records it as a :class:`ScheduleClash` row, numbered like any write, so every
front desk receives the same item after sync. When a later push moves, cancels or deletes one of
the two, the hub marks the clash resolved the same way.

The rule is the desk's own (``domain.scheduling.conflicts.double_bookings``: provider with buffers,
client, room); a pair where an administrator booked over the collision with a reason is not a clash.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.scheduling.conflicts import Block, double_bookings
from mentalspace_desktop.domain.scheduling.status import HOLDS_TIME
from mentalspace_desktop.store.scheduling_models import Appointment, ScheduleClash
from mentalspace_desktop.store.types import utcnow

HOLDING = tuple(s.value for s in HOLDS_TIME)
REACH = timedelta(hours=16)  # a visit (≤ 12 h) plus the longest buffers (≤ 4 h)


def _block(a: Appointment) -> Block:
    return Block(a.id, a.start_at, a.end_at, a.provider_id, a.client_id, a.room_id, a.buffer_before, a.buffer_after)


def _holds(a: Appointment | None) -> bool:
    return a is not None and not a.deleted and a.status in HOLDING and not a.override_reason


def review(session: Session, appointment_ids: Iterable[str]) -> list[ScheduleClash]:
    """Record the new clashes of these (just written) appointments and resolve those that no longer
    hold; returns the clash rows written, for the caller to stamp and number with its batch."""
    ids = sorted(set(appointment_ids))
    if not ids:
        return []
    written: list[ScheduleClash] = []
    now = utcnow()
    mine = {a.id: a for a in session.scalars(select(Appointment).where(Appointment.id.in_(ids)))}
    # Resolve: an open clash whose pair no longer collides (moved, cancelled, deleted, overridden).
    for clash in session.scalars(select(ScheduleClash).where(
            ScheduleClash.status == "open", ScheduleClash.deleted.is_(False),
            or_(ScheduleClash.first_id.in_(ids), ScheduleClash.second_id.in_(ids)))):
        first, second = session.get(Appointment, clash.first_id), session.get(Appointment, clash.second_id)
        still = (_holds(first) and _holds(second) and first is not None and second is not None
                 and any({p.first_id, p.second_id} == {first.id, second.id}
                         for p in double_bookings([_block(first), _block(second)])))
        if not still:
            clash.status, clash.resolved_at = "resolved", now
            written.append(clash)
    # Record: what each written appointment now collides with.
    for a in (mine[i] for i in ids if i in mine):
        if not _holds(a):
            continue
        same = [Appointment.provider_id == a.provider_id]
        if a.client_id:
            same.append(Appointment.client_id == a.client_id)
        if a.room_id:
            same.append(Appointment.room_id == a.room_id)
        near = [b for b in session.scalars(select(Appointment).where(
            or_(*same), Appointment.id != a.id, Appointment.deleted.is_(False), Appointment.status.in_(HOLDING),
            Appointment.start_at < a.end_at + REACH, Appointment.start_at > a.start_at - REACH)) if _holds(b)]
        for pair in double_bookings([_block(a)] + [_block(b) for b in near]):
            if a.id not in (pair.first_id, pair.second_id):
                continue
            other = pair.second_id if pair.first_id == a.id else pair.first_id
            if _recorded(session, a.id, other):
                continue
            first, second = sorted((a, next(b for b in near if b.id == other)), key=_arrival)
            written.append(_record(session, first, second, pair.kind.value, now))
    return written


def _arrival(a: Appointment) -> tuple[int, datetime, str]:
    """The appointment the hub kept first comes first (numbered rows before the one just written)."""
    return (0 if a.server_seq is not None else 1, a.booked_at or a.start_at, a.id)


def _recorded(session: Session, one: str, other: str) -> bool:
    return session.scalar(select(ScheduleClash.id).where(
        ScheduleClash.status == "open", ScheduleClash.deleted.is_(False),
        or_((ScheduleClash.first_id == one) & (ScheduleClash.second_id == other),
            (ScheduleClash.first_id == other) & (ScheduleClash.second_id == one))).limit(1)) is not None


def _record(session: Session, first: Appointment, second: Appointment, kind: str, now: datetime) -> ScheduleClash:
    clash = ScheduleClash(first_id=first.id, second_id=second.id, kind=kind, provider_id=second.provider_id,
                          start_at=max(first.start_at, second.start_at), end_at=min(first.end_at, second.end_at),
                          status="open", detected_at=now)
    if clash.end_at <= clash.start_at:  # collided through buffers only: the gap between them
        clash.start_at, clash.end_at = min(first.end_at, second.end_at), max(first.start_at, second.start_at)
    session.add(clash)
    session.flush()  # a later appointment of the same batch sees it recorded
    return clash
