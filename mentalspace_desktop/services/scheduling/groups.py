"""Group sessions: a group with facilitators, capacity, open or closed enrollment and screening;
members with screening notes (sealed clinical text) and approval; recurring sessions; attendance
taken from one sheet; the roster and each member's attendance history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.domain.scheduling.status import (
    OPEN,
    Status,
    StatusError,
    attendance_not_yet,
    check_attendance_timing,
)
from mentalspace_desktop.domain.scheduling.times import to_local
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import AppointmentDidChange, GroupDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.scheduling.appointments import BookingRequest
from mentalspace_desktop.services.scheduling.series import SeriesService
from mentalspace_desktop.store.clinical_seal import context_of
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.scheduling_models import Appointment, GroupAttendance, GroupMember, TherapyGroup

ATTENDANCE = ("attended", "absent", "cancelled")
ACTIVE_MEMBER = ("screening", "approved")


@dataclass
class GroupInput:
    name: str
    type_id: str
    facilitator_id: str
    cofacilitator_id: str | None = None
    capacity: int = 8
    enrollment: str = "open"
    screening_required: bool = False
    location_id: str | None = None
    room_id: str | None = None


@dataclass(frozen=True)
class MemberView:
    id: str
    client_id: str
    client_name: str
    status: str
    screening_notes: str | None  # None when the user may not read clinical text
    joined_on: date | None
    attended: int
    absent: int


@dataclass(frozen=True)
class SheetRow:
    client_id: str
    client_name: str
    status: str  # attended, absent, cancelled, or "" when not yet taken


@dataclass(frozen=True)
class AttendanceSheet:
    """A session's sheet as the screen shows it: its rows, and why attended/absent cannot be
    marked yet ("" once the session has started)."""

    rows: list[SheetRow]
    not_yet: str
    opens_in: timedelta = timedelta(0)  # how long until attendance can be taken (0: it can now)


class GroupService(SeriesService):
    """Therapy groups."""

    def _group(self, s: Session, group_id: str, action: Action = Action.WRITE) -> TherapyGroup:
        g = s.get(TherapyGroup, group_id)
        if g is None or g.deleted:
            raise NotFound("That group no longer exists.")
        self.require(s, action, None, g.facilitator_id)
        return g

    def create(self, data: GroupInput) -> str:
        """Create a group. Its sessions are booked with :meth:`schedule_sessions`."""
        if not data.name.strip():
            raise ValidationError({"name": "Enter the group's name."})
        if not 2 <= data.capacity <= 40:
            raise ValidationError({"capacity": "A group holds 2 to 40 members."})
        if data.enrollment not in ("open", "closed"):
            raise ValidationError({"enrollment": "Enrollment is open or closed."})
        if data.cofacilitator_id == data.facilitator_id:
            raise ValidationError({"cofacilitator": "The co-facilitator is someone else than the facilitator."})
        with self.session.store.write(self.session.actor.user_id) as s:
            self.require(s, Action.WRITE, None, data.facilitator_id)
            self.appointment_type(s, data.type_id)
            g = TherapyGroup(name=data.name.strip(), type_id=data.type_id, facilitator_id=data.facilitator_id,
                             cofacilitator_id=data.cofacilitator_id, capacity=data.capacity,
                             enrollment=data.enrollment, screening_required=data.screening_required,
                             location_id=data.location_id, room_id=data.room_id, active=True)
            s.add(g)
            s.flush()
            audit.record(self.session, s, action="create", record_type="group", record_id=g.id, summary=g.name)
        self.session.events.emit(GroupDidChange(g.id))
        return g.id

    def groups(self) -> list[TherapyGroup]:
        """Active groups the user may see, by name."""
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            return [g for g in s.scalars(select(TherapyGroup).where(
                TherapyGroup.deleted.is_(False), TherapyGroup.active.is_(True)).order_by(TherapyGroup.name))
                if self.may(s, Action.READ, None, g.facilitator_id)]

    def enroll(self, group_id: str, client_id: str, *, approve: bool | None = None, notes: str = "") -> str:
        """Add a client: "screening" when the group screens, else "approved". Refused when full or closed.

        A screening already done (``approve`` given, with its ``notes``) is recorded in the same step,
        so the member is never left half-added when the decision cannot be saved."""
        with self.session.store.write(self.session.actor.user_id) as s:
            g = self._group(s, group_id)
            self.require(s, Action.WRITE, client_id, None)
            if g.enrollment == "closed":
                raise ValidationError({"enrollment": f"{g.name} has closed enrollment."})
            current = s.scalar(select(func.count()).select_from(GroupMember).where(
                GroupMember.group_id == g.id, GroupMember.status.in_(ACTIVE_MEMBER), GroupMember.deleted.is_(False)))
            if (current or 0) >= g.capacity:
                raise ValidationError({"capacity": f"{g.name} is full ({g.capacity} members)."})
            if s.scalar(select(GroupMember.id).where(GroupMember.group_id == g.id, GroupMember.client_id == client_id,
                                                     GroupMember.status.in_(ACTIVE_MEMBER),
                                                     GroupMember.deleted.is_(False))):
                raise ValidationError({"client": "The client is already in this group."})
            m = GroupMember(group_id=g.id, client_id=client_id,
                            status="screening" if g.screening_required else "approved",
                            joined_on=None if g.screening_required else self.local_today(s))
            s.add(m)
            s.flush()
            audit.record(self.session, s, action="group_enrolled", record_type="group_member", record_id=m.id,
                         client_id=client_id, summary=g.name)
            if approve is not None and m.status == "screening":
                self._decide(s, m, approve=approve, notes=notes)
            elif notes.strip():
                self._seal_notes(m, notes)
        self.session.events.emit(GroupDidChange(group_id))
        return m.id

    def _seal_notes(self, m: GroupMember, notes: str) -> None:
        if self.session.clinical is None:
            raise PermissionDenied("Your role does not allow writing screening notes.")
        m.screening_notes = self.session.clinical.seal(
            notes.strip(), context=context_of("group_members", "screening_notes", m.id))

    def _decide(self, s: Session, m: GroupMember, *, approve: bool, notes: str) -> None:
        if notes.strip():
            self._seal_notes(m, notes)
        m.status = "approved" if approve else "declined"
        m.approved_by, m.approved_at = self.session.actor.user_id, self.now()
        if approve:
            m.joined_on = self.local_today(s)
        audit.record(self.session, s, action="group_screened", record_type="group_member", record_id=m.id,
                     client_id=m.client_id, summary=m.status)

    def screen(self, member_id: str, *, approve: bool, notes: str = "") -> None:
        """Record the screening decision and notes (clinical text, sealed: clinicians, supervisors)."""
        with self.session.store.write(self.session.actor.user_id) as s:
            m = s.get(GroupMember, member_id)
            if m is None or m.deleted:
                raise NotFound("That member no longer exists.")
            self._group(s, m.group_id)
            if m.status != "screening":
                raise ValidationError({"status": "This member was already screened."})
            self._decide(s, m, approve=approve, notes=notes)
        self.session.events.emit(GroupDidChange(m.group_id))

    def leave(self, member_id: str) -> None:
        """The member leaves the group (history stays)."""
        with self.session.store.write(self.session.actor.user_id) as s:
            m = s.get(GroupMember, member_id)
            if m is None or m.deleted:
                raise NotFound("That member no longer exists.")
            self._group(s, m.group_id)
            m.status, m.left_on = "left", self.local_today(s)
            audit.record(self.session, s, action="group_left", record_type="group_member", record_id=m.id,
                         client_id=m.client_id)
        self.session.events.emit(GroupDidChange(m.group_id))

    def roster(self, group_id: str) -> list[MemberView]:
        """Members (screening, approved, declined, left) with their attendance counts."""
        with self.session.store.read() as s:
            g = self._group(s, group_id, Action.READ)
            out = []
            for m in s.scalars(select(GroupMember).where(GroupMember.group_id == g.id,
                                                         GroupMember.deleted.is_(False))):
                if not self.may(s, Action.READ, m.client_id, None):
                    continue
                c = s.get(Client, m.client_id)
                counts = dict(s.execute(select(GroupAttendance.status, func.count()).where(
                    GroupAttendance.group_id == g.id, GroupAttendance.client_id == m.client_id,
                    GroupAttendance.deleted.is_(False)).group_by(GroupAttendance.status)).all())
                notes = None
                if m.screening_notes and self.session.clinical is not None:
                    notes = self.session.clinical.open(
                        m.screening_notes, context=context_of("group_members", "screening_notes", m.id))
                out.append(MemberView(m.id, m.client_id, f"{c.last_name}, {c.first_name}" if c else "", m.status,
                                      notes, m.joined_on, counts.get("attended", 0), counts.get("absent", 0)))
            out.sort(key=lambda v: (v.status not in ACTIVE_MEMBER, v.client_name))
            return out

    def schedule_sessions(self, group_id: str, start_local: datetime, rule_text: str, *, minutes: int | None = None,
                          override_reason: str | None = None) -> str:
        """Book the group's recurring sessions (one appointment per session, no client); returns the
        series id. Collisions are refused occurrence by occurrence, as for any series."""
        with self.session.store.read() as s:
            g = self._group(s, group_id)
            req = BookingRequest(provider_id=g.facilitator_id, type_id=g.type_id, start_local=start_local,
                                 group_id=g.id, minutes=minutes, room_id=g.room_id, location_id=g.location_id,
                                 override_reason=override_reason)
        series_id = self.book_series(req, rule_text)
        with self.session.store.write(self.session.actor.user_id) as s:
            g = self._group(s, group_id)
            g.series_id = series_id
        self.session.events.emit(GroupDidChange(group_id))
        return series_id

    def sessions(self, group_id: str) -> list[Appointment]:
        """The group's sessions in date order."""
        with self.session.store.read() as s:
            g = self._group(s, group_id, Action.READ)
            return list(s.scalars(select(Appointment).where(Appointment.group_id == g.id,
                                                            Appointment.deleted.is_(False))
                                  .order_by(Appointment.start_at)))

    def attendance_sheet(self, appointment_id: str) -> list[SheetRow]:
        """One row per member approved on the session's day, with what was recorded (blank if nothing)."""
        with self.session.store.read() as s:
            return self._sheet(s, self._session(s, appointment_id, Action.READ))

    def sheet(self, appointment_id: str) -> AttendanceSheet:
        """The attendance sheet with what may be marked now (see :class:`AttendanceSheet`)."""
        with self.session.store.read() as s:
            a = self._session(s, appointment_id, Action.READ)
            now = self.now()
            return AttendanceSheet(self._sheet(s, a), attendance_not_yet(a.start_at, now, self.tz(s)) or "",
                                   max(a.start_at - now, timedelta(0)))

    def _sheet(self, s: Session, a: Appointment) -> list[SheetRow]:
        day = to_local(a.start_at, self.tz(s)).date()
        taken = dict(s.execute(select(GroupAttendance.client_id, GroupAttendance.status).where(
            GroupAttendance.appointment_id == a.id, GroupAttendance.deleted.is_(False))).all())
        rows = []
        for m in s.scalars(select(GroupMember).where(GroupMember.group_id == a.group_id,
                                                     GroupMember.deleted.is_(False))):
            member_then = m.status in ("approved", "left") and m.joined_on is not None and m.joined_on <= day \
                and (m.left_on is None or m.left_on >= day)
            if not (member_then or m.client_id in taken) or not self.may(s, Action.READ, m.client_id, None):
                continue
            c = s.get(Client, m.client_id)
            rows.append(SheetRow(m.client_id, f"{c.last_name}, {c.first_name}" if c else "",
                                 taken.get(m.client_id, "")))
        return sorted(rows, key=lambda r: r.client_name)

    def _session(self, s: Session, appointment_id: str, action: Action) -> Appointment:
        a = s.get(Appointment, appointment_id)
        if a is None or a.deleted or a.group_id is None:
            raise NotFound("That group session no longer exists.")
        self._group(s, a.group_id, action)
        return a

    def record_attendance(self, appointment_id: str, statuses: dict[str, str]) -> None:
        """Save the sheet (client id → attended/absent/cancelled) in one step; re-saving corrects it."""
        bad = {cid: st for cid, st in statuses.items() if st not in ATTENDANCE}
        if bad:
            raise ValidationError({"attendance": "Mark each member attended, absent or cancelled."})
        with self.session.store.write(self.session.actor.user_id) as s:
            a = self._session(s, appointment_id, Action.WRITE)
            if set(statuses) - {r.client_id for r in self._sheet(s, a)}:  # only the sheet's rows
                raise ValidationError({"attendance": "Attendance is taken for the group's members only; "
                                                     "someone on the sheet is not in this group that day."})
            existing = {r.client_id: r for r in s.scalars(select(GroupAttendance).where(
                GroupAttendance.appointment_id == a.id, GroupAttendance.deleted.is_(False)))}
            try:  # a mark kept as it was (a session moved later) is not refused again
                for client_id, status in statuses.items():
                    if client_id not in existing or existing[client_id].status != status:
                        check_attendance_timing(status, a.start_at, self.now(), self.tz(s))
            except StatusError as exc:
                raise ValidationError({"attendance": str(exc)}, str(exc)) from None
            for client_id, status in statuses.items():
                row = existing.get(client_id)
                if row is None:
                    s.add(GroupAttendance(group_id=a.group_id, appointment_id=a.id, client_id=client_id,
                                          status=status, recorded_by=self.session.actor.user_id,
                                          recorded_at=self.now()))
                elif row.status != status:
                    row.status, row.recorded_by, row.recorded_at = status, self.session.actor.user_id, self.now()
            audit.record(self.session, s, action="group_attendance", record_type="appointment", record_id=a.id,
                         summary=", ".join(f"{v}" for v in sorted(statuses.values())))
            if Status(a.status) in OPEN and self.now() >= a.start_at:
                # The sheet says what happened: the session is done, and leaves the front desk's list
                # of visits still "scheduled" a day after their time. Saved ahead (a member calling
                # to cancel), the session stays as it is.
                self.record_status(s, a, Status.COMPLETED.value, "attendance taken")
                self.sync_busy_block(s, a)
                audit.record(self.session, s, action="appointment_completed", record_type="appointment",
                             record_id=a.id, summary="Completed: attendance taken")
        self.session.events.emit(AppointmentDidChange((appointment_id,), ()))
        self.session.events.emit(GroupDidChange(a.group_id or ""))

    def attendance_history(self, group_id: str, client_id: str) -> list[tuple[date, str]]:
        """A member's attendance, session by session (local date, status)."""
        with self.session.store.read() as s:
            self._group(s, group_id, Action.READ)
            self.require(s, Action.READ, client_id, None)
            tz = self.tz(s)
            rows = s.execute(select(Appointment.start_at, GroupAttendance.status).join(
                Appointment, Appointment.id == GroupAttendance.appointment_id).where(
                GroupAttendance.group_id == group_id, GroupAttendance.client_id == client_id,
                GroupAttendance.deleted.is_(False)).order_by(Appointment.start_at)).all()
            return [(to_local(at, tz).date(), status) for at, status in rows]
