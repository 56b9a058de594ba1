"""Who a group session's reminders go to: the scheduling read reminders need about groups.

A group session is an appointment without a client (``group_id`` set); its members are in
``group_members`` and each one's attendance in ``group_attendance`` (services/scheduling/groups.py).
A member is reminded when approved and enrolled on the session's day, and not recorded as cancelled
for that session. Each member is reminded by their own consents and preferences, under their own
idempotency key (services/reminders/facts.py, domain/reminders/keys.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.scheduling.times import to_local
from mentalspace_desktop.store.scheduling_models import Appointment, GroupAttendance, GroupMember

CANCELLED = "cancelled"
"""``group_attendance.status`` of a member who will not come to a session (the sheet's own word)."""
CHUNK = 500


def is_group_session(a: Appointment) -> bool:
    return bool(a.group_id) and not a.client_id


def attending(s: Session, sessions: Sequence[Appointment]) -> dict[str, list[str]]:
    """Each group session's id -> the client ids of its members to remind (sorted), read in bulk."""
    groups = sorted({a.group_id for a in sessions if a.group_id})
    ids = sorted({a.id for a in sessions})
    if not groups:
        return {}
    members: dict[str, list[GroupMember]] = defaultdict(list)
    cancelled: set[tuple[str, str]] = set()
    for start in range(0, len(groups), CHUNK):
        for m in s.scalars(select(GroupMember).where(GroupMember.group_id.in_(groups[start:start + CHUNK]),
                                                     GroupMember.deleted.is_(False),
                                                     GroupMember.status == "approved")):
            members[m.group_id].append(m)
    for start in range(0, len(ids), CHUNK):
        cancelled.update((str(a), str(c)) for a, c in s.execute(
            select(GroupAttendance.appointment_id, GroupAttendance.client_id).where(
                GroupAttendance.appointment_id.in_(ids[start:start + CHUNK]), GroupAttendance.deleted.is_(False),
                GroupAttendance.status == CANCELLED)).all())
    out: dict[str, list[str]] = {}
    for a in sessions:
        if not a.group_id:
            continue
        day = to_local(a.start_at, a.time_zone).date()
        out[a.id] = sorted({m.client_id for m in members.get(a.group_id, [])
                            if (m.joined_on is None or m.joined_on <= day) and (m.left_on is None or m.left_on >= day)
                            and (a.id, m.client_id) not in cancelled})
    return out


def attendance_row(s: Session, appointment_id: str, client_id: str) -> GroupAttendance | None:
    return s.scalar(select(GroupAttendance).where(
        GroupAttendance.appointment_id == appointment_id, GroupAttendance.client_id == client_id,
        GroupAttendance.deleted.is_(False)))
