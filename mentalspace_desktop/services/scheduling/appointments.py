"""Single appointments: book, move, resize, the life cycle (confirm, check in, complete, no-show,
cancel, reschedule), the calendar's rows, data-quality lists and the appointments export.

Every action checks permissions, refuses collisions with what they collide with (an administrator
may override with a reason, which is audited), writes the audit log in the same transaction and emits
:class:`AppointmentDidChange`. Every appointment has a busy/free twin (``busy_blocks``, same id)
written in the same transaction, so other workstations see the time taken without seeing who.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource, Role
from mentalspace_desktop.domain.scheduling.conflicts import Candidate, Collision
from mentalspace_desktop.domain.scheduling.guards import GuardRefusal, booking_refusals
from mentalspace_desktop.domain.scheduling.risk import History, Risk, no_show_risk
from mentalspace_desktop.domain.scheduling.status import (
    OPEN,
    Status,
    StatusError,
    check_timing,
    check_transition,
    is_late_cancel,
)
from mentalspace_desktop.domain.scheduling.times import (
    TimeError,
    check_duration,
    day_and_clock,
    day_bounds_utc,
    to_local,
    to_utc,
)
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import AppointmentDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.reminders.stats import RiskReminders, risk_reminders
from mentalspace_desktop.services.scheduling.common import HOLDING, SchedulingBase, ids
from mentalspace_desktop.store.models import Client, User
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentStatusChange,
    AppointmentType,
    BusyBlock,
    ContactPreference,
    Location,
    Room,
    ScheduleClash,
)


class BookingRefused(ValidationError):
    """A booking collides or fails a booking guard. ``collisions`` and ``guards`` say with what."""

    def __init__(self, message: str, collisions: Sequence[Collision] = (),
                 guards: Sequence[GuardRefusal] = ()) -> None:
        super().__init__({"start": message}, message)
        self.collisions = list(collisions)
        self.guards = list(guards)


@dataclass
class BookingRequest:
    """What the booking form (or a drag on the calendar) holds.

    ``start_local`` is the practice's wall-clock time (naive); ``minutes`` defaults to the type's.
    """

    provider_id: str
    type_id: str
    start_local: datetime
    client_id: str | None = None
    minutes: int | None = None
    room_id: str | None = None
    location_id: str | None = None
    telehealth: bool = False
    meeting_link: str | None = None
    group_id: str | None = None
    override_reason: str | None = None  # administrators only: book despite collisions or guards


@dataclass(frozen=True)
class CalendarItem:
    """One block on the calendar. ``kind`` "appointment" carries the details this user may read;
    "busy", "time_off" and "imported" carry times only (a colleague's visit on a clinician's screen)."""

    id: str
    kind: str
    provider_id: str | None
    provider_name: str
    start_at: datetime
    end_at: datetime
    start_local: datetime
    end_local: datetime
    room_id: str | None = None
    room_name: str = ""
    location_id: str | None = None
    location_name: str = ""
    client_id: str | None = None
    client_name: str = ""
    type_id: str | None = None
    type_name: str = ""
    color: str = "#9aa5b1"
    status: str = ""
    late_cancel: bool = False
    telehealth: bool = False
    meeting_link: str | None = None
    confirmation: str = ""
    checked_in_at: datetime | None = None
    series_id: str | None = None
    group_id: str | None = None
    buffer_before: int = 0
    buffer_after: int = 0
    editable: bool = False
    risk: Risk | None = None

    @property
    def status_label(self) -> str:
        return Status(self.status).label if self.status else ""

    @property
    def where(self) -> str:
        """"Telehealth" or the room and location, as the chart and calendar show it."""
        if self.telehealth:
            return "Telehealth"
        return ", ".join(x for x in (self.room_name, self.location_name) if x)


@dataclass(frozen=True)
class StatusHistoryItem:
    status: str
    at: datetime
    by_name: str
    reason: str | None


@dataclass(frozen=True)
class DoubleBookingItem:
    """Two kept appointments that collide (booked on two workstations while apart)."""

    kind: str  # provider, client, room
    first: CalendarItem
    second: CalendarItem
    message: str


@dataclass(frozen=True)
class BookingCheck:
    """What booking would run into: shown while dragging and before saving."""

    collisions: list[Collision] = field(default_factory=list)
    guards: list[GuardRefusal] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.collisions and not self.guards


def describe_collisions(collisions: Sequence[Collision], tz: str) -> list[str]:
    """Each collision in words, in the practice's local time."""
    out = []
    for c in collisions:
        local = Collision(c.kind, c.other_id, to_local(c.start, tz), to_local(c.end, tz), c.label)
        out.append(local.describe())
    return out


class AppointmentService(SchedulingBase):
    """Book and change single appointments; list the calendar."""

    # -- checking ------------------------------------------------------------------------------

    def _candidate(self, s: Session, req: BookingRequest, ignore: frozenset[str] = frozenset()
                   ) -> tuple[Candidate, AppointmentType, datetime, datetime]:
        t = self.appointment_type(s, req.type_id)
        minutes = req.minutes if req.minutes is not None else t.default_minutes
        tz = self.tz(s)
        if req.start_local.tzinfo is not None:
            req.start_local = to_local(req.start_local, tz)
        # The length is real time: a wall-clock end would gain or lose the hour on a daylight-saving night.
        start = to_utc(req.start_local, tz)
        end = start + timedelta(minutes=minutes)
        try:
            check_duration(start, end)
        except TimeError as exc:
            raise ValidationError({"end": str(exc)}, str(exc)) from None
        if req.telehealth and not t.telehealth_allowed:
            raise ValidationError({"telehealth": f"{t.name} cannot be a telehealth visit."})
        link = (req.meeting_link or "").strip()
        if req.telehealth and link and not link.lower().startswith("https://"):  # "Join" opens it
            raise ValidationError({"meeting_link": "A meeting link starts with https://."})
        if req.client_id is None and req.group_id is None:
            raise ValidationError({"client": "Choose the client (or the group) for this appointment."})
        if s.get(User, req.provider_id) is None:
            raise ValidationError({"provider": "Choose a provider."})
        room_id = None if req.telehealth else req.room_id
        office = self.office_of(s, room_id, req.location_id, req.telehealth)
        return (Candidate(start, end, req.provider_id, req.client_id, room_id, t.buffer_before, t.buffer_after,
                          ignore, office), t, start, end)

    def _guards(self, s: Session, client_id: str | None, day: date, telehealth: bool) -> list[GuardRefusal]:
        if client_id is None:
            return []
        client = s.get(Client, client_id)
        if client is None or client.deleted:
            raise NotFound("That client no longer exists.")
        return booking_refusals(self.guard_settings(s), dob=client.dob, visit_day=day, telehealth=telehealth,
                                consents=self.consents_of(s, client_id))

    def check(self, req: BookingRequest, *, ignore_id: str | None = None) -> BookingCheck:
        """What booking ``req`` would collide with or be refused for, without saving anything.

        The calendar calls this while a block is dragged (``ignore_id``: the block itself).
        """
        with self.session.store.read() as s:
            moving = s.get(Appointment, ignore_id) if ignore_id else None
            if moving is None or req.provider_id != moving.provider_id:
                self.require(s, Action.WRITE, req.client_id, req.provider_id)
            else:  # a visit moved within its provider's day: as :meth:`move` allows it (covering included)
                self.require_appointment(s, Action.WRITE, moving.client_id, moving.provider_id)
            cand, _, start, _ = self._candidate(s, req, frozenset({ignore_id} if ignore_id else ()))
            col = self.collisions(s, cand, type_id=req.type_id)
            guards = self._guards(s, req.client_id, req.start_local.date(), req.telehealth)
            return BookingCheck(col, guards, describe_collisions(col, self.tz(s)) + [g.message for g in guards])

    def _refuse_or_override(self, s: Session, collisions: list[Collision], guards: list[GuardRefusal],
                            override_reason: str | None, what: str) -> str | None:
        """Raise BookingRefused, or return the audited override text when an administrator overrides."""
        if not collisions and not guards:
            return None
        messages = describe_collisions(collisions, self.tz(s)) + [g.message for g in guards]
        if override_reason and override_reason.strip():
            if not self.is_admin:
                raise PermissionDenied("Only an administrator can book despite a conflict or a missing consent.")
            return f"{override_reason.strip()} (overrode: {'; '.join(messages)})"
        raise BookingRefused(f"Cannot {what}: " + "; ".join(messages), collisions, guards)

    # -- booking -------------------------------------------------------------------------------

    def book(self, req: BookingRequest) -> CalendarItem:
        """Book one appointment. Refused (BookingRefused) on any collision or failed guard unless an
        administrator gives ``override_reason``."""
        with self.session.store.write(self.session.actor.user_id) as s:
            self.require(s, Action.WRITE, req.client_id, req.provider_id)
            a = self._insert(s, req)
        self.session.events.emit(AppointmentDidChange((a.id,), (a.provider_id,)))
        return self.get(a.id)

    def _insert(self, s: Session, req: BookingRequest, *, series_id: str | None = None,
                occurrence_date: date | None = None, skip_checks: bool = False) -> Appointment:
        cand, t, start, end = self._candidate(s, req)
        override = None
        if not skip_checks:
            col = self.collisions(s, cand, type_id=req.type_id)
            guards = self._guards(s, req.client_id, req.start_local.date(), req.telehealth)
            override = self._refuse_or_override(s, col, guards, req.override_reason, "book")
        room = s.get(Room, req.room_id) if req.room_id and not req.telehealth else None
        a = Appointment(
            client_id=req.client_id, group_id=req.group_id, provider_id=req.provider_id, type_id=t.id,
            location_id=req.location_id or (room.location_id if room else None), room_id=room.id if room else None,
            series_id=series_id, occurrence_date=occurrence_date, start_local=req.start_local,
            time_zone=self.tz(s), start_at=start, end_at=end, buffer_before=t.buffer_before,
            buffer_after=t.buffer_after, status=Status.SCHEDULED.value, telehealth=req.telehealth,
            meeting_link=((req.meeting_link or "").strip() or None) if req.telehealth else None,
            confirmation="unconfirmed",
            override_reason=override, booked_at=self.now(), booked_by=self.session.actor.user_id,
        )
        s.add(a)
        s.flush()
        self.record_status(s, a, Status.SCHEDULED.value)
        self.sync_busy_block(s, a)
        audit.record(self.session, s, action="appointment_booked", record_type="appointment", record_id=a.id,
                     client_id=a.client_id, summary=f"{t.name} {req.start_local:%Y-%m-%d %H:%M}")
        if override:
            audit.record(self.session, s, action="booking_override", record_type="appointment", record_id=a.id,
                         client_id=a.client_id, summary=override)
        return a

    def _load(self, s: Session, appointment_id: str, action: Action = Action.WRITE) -> Appointment:
        a = s.get(Appointment, appointment_id)
        if a is None or a.deleted:
            raise NotFound("That appointment no longer exists.")
        self.require_appointment(s, action, a.client_id, a.provider_id)
        return a

    def move(self, appointment_id: str, new_start_local: datetime, *, provider_id: str | None = None,
             room_id: str | None = None, override_reason: str | None = None) -> CalendarItem:
        """Move a visit to a new start (same length), optionally to another provider or room."""
        with self.session.store.write(self.session.actor.user_id) as s:
            a = self._load(s, appointment_id)
            self._change_time(s, a, new_start_local, (a.end_at - a.start_at), provider_id or a.provider_id,
                              room_id if room_id is not None else a.room_id, override_reason, "move it")
        self.session.events.emit(AppointmentDidChange((a.id,), ids((a.provider_id, provider_id))))
        return self.get(appointment_id)

    def resize(self, appointment_id: str, new_end_local: datetime, *,
               override_reason: str | None = None) -> CalendarItem:
        """Change a visit's end (dragging its lower edge); its start stays."""
        with self.session.store.write(self.session.actor.user_id) as s:
            a = self._load(s, appointment_id)
            tz = self.tz(s)
            end = to_utc(new_end_local, tz) if new_end_local.tzinfo is None else new_end_local
            self._change_time(s, a, a.start_local, end - a.start_at, a.provider_id, a.room_id, override_reason,
                              "change its length")
        self.session.events.emit(AppointmentDidChange((a.id,), (a.provider_id,)))
        return self.get(appointment_id)

    def _change_time(self, s: Session, a: Appointment, start_local: datetime, length: timedelta, provider_id: str,
                     room_id: str | None, override_reason: str | None, what: str) -> None:
        if Status(a.status) not in OPEN:
            raise ValidationError({"status": f"A {Status(a.status).label.lower()} appointment cannot be moved."})
        tz = self.tz(s)
        if start_local.tzinfo is not None:
            start_local = to_local(start_local, tz)
        start = to_utc(start_local, tz)
        end = start + length
        try:
            check_duration(start, end)
        except TimeError as exc:
            raise ValidationError({"end": str(exc)}, str(exc)) from None
        if provider_id != a.provider_id:
            self.require(s, Action.WRITE, a.client_id, provider_id)
        cand = Candidate(start, end, provider_id, a.client_id, None if a.telehealth else room_id, a.buffer_before,
                         a.buffer_after, frozenset({a.id}), self.office_of(s, room_id, a.location_id, a.telehealth))
        col = self.collisions(s, cand, type_id=a.type_id)
        override = self._refuse_or_override(s, col, [], override_reason, what)
        before = f"{a.start_local:%Y-%m-%d %H:%M}–{to_local(a.end_at, tz):%H:%M}"
        a.start_local, a.start_at, a.end_at = start_local, start, end
        a.provider_id, a.room_id = provider_id, None if a.telehealth else room_id
        if override:
            a.override_reason = override
        self.sync_busy_block(s, a)
        audit.record(self.session, s, action="appointment_moved", record_type="appointment", record_id=a.id,
                     client_id=a.client_id,
                     summary=f"{before} → {start_local:%Y-%m-%d %H:%M}–{to_local(end, tz):%H:%M}")
        if override:
            audit.record(self.session, s, action="booking_override", record_type="appointment", record_id=a.id,
                         client_id=a.client_id, summary=override)

    # -- life cycle ----------------------------------------------------------------------------

    def _set_status(self, appointment_id: str, new: Status, *, reason: str | None = None, **extra: object
                    ) -> CalendarItem:
        with self.session.store.write(self.session.actor.user_id) as s:
            a = self._load(s, appointment_id)
            try:
                check_transition(Status(a.status), new)
                check_timing(new, a.start_at, self.now(), self.tz(s))
            except StatusError as exc:
                raise ValidationError({"status": str(exc)}, str(exc)) from None
            if new is Status.CANCELLED:
                a.late_cancel = is_late_cancel(a.start_at, self.now())
                a.cancel_reason = reason
            if new is Status.CHECKED_IN:
                a.checked_in_at = self.now()
            for name, value in extra.items():
                setattr(a, name, value)
            self.record_status(s, a, new.value, reason)
            self.sync_busy_block(s, a)
            late = " (late cancellation)" if new is Status.CANCELLED and a.late_cancel else ""
            audit.record(self.session, s, action=f"appointment_{new.value}", record_type="appointment",
                         record_id=a.id, client_id=a.client_id, summary=f"{new.label}{late}"
                         + (f": {reason}" if reason else ""))
        self.session.events.emit(AppointmentDidChange((a.id,), (a.provider_id,)))
        return self.get(appointment_id)

    def confirm(self, appointment_id: str, *, via: str = "phone") -> CalendarItem:
        """The client confirmed (by phone, SMS, e-mail, voice or at the desk)."""
        now = self.now()
        return self._set_status(appointment_id, Status.CONFIRMED, confirmation="confirmed", confirmed_at=now,
                                confirmed_via=via)

    def check_in(self, appointment_id: str) -> CalendarItem:
        """The client has arrived (front desk, from the calendar, Today or the chart)."""
        return self._set_status(appointment_id, Status.CHECKED_IN)

    def complete(self, appointment_id: str) -> CalendarItem:
        """The visit took place."""
        return self._set_status(appointment_id, Status.COMPLETED)

    def no_show(self, appointment_id: str) -> CalendarItem:
        """The client did not come."""
        return self._set_status(appointment_id, Status.NO_SHOW)

    def cancel(self, appointment_id: str, *, reason: str = "") -> CalendarItem:
        """Cancel; less than 24 hours before the start it is marked a late cancellation. Frees the time
        (the waitlist service lists who could take it)."""
        return self._set_status(appointment_id, Status.CANCELLED, reason=reason.strip() or None)

    def reschedule(self, appointment_id: str, new_start_local: datetime, *, provider_id: str | None = None,
                   room_id: str | None = None, override_reason: str | None = None) -> CalendarItem:
        """Book the same visit at a new time and mark this one "rescheduled" (kept in the history,
        unlike a move). Returns the new appointment."""
        with self.session.store.write(self.session.actor.user_id) as s:
            old = self._load(s, appointment_id)
            if provider_id is not None and provider_id != old.provider_id:
                self.require(s, Action.WRITE, old.client_id, provider_id)  # as for a move to another provider
            try:
                check_transition(Status(old.status), Status.RESCHEDULED)
            except StatusError as exc:
                raise ValidationError({"status": str(exc)}, str(exc)) from None
            self.record_status(s, old, Status.RESCHEDULED.value)
            self.sync_busy_block(s, old)  # frees its time before the new one is checked
            s.flush()
            req = BookingRequest(provider_id=provider_id or old.provider_id, type_id=old.type_id,
                                 start_local=new_start_local, client_id=old.client_id,
                                 minutes=int((old.end_at - old.start_at).total_seconds() // 60),
                                 room_id=room_id if room_id is not None else old.room_id,
                                 location_id=old.location_id, telehealth=old.telehealth,
                                 meeting_link=old.meeting_link, group_id=old.group_id,
                                 override_reason=override_reason)
            new = self._insert(s, req)
            old.rescheduled_to = new.id
            audit.record(self.session, s, action="appointment_rescheduled", record_type="appointment",
                         record_id=old.id, client_id=old.client_id, summary=f"to {new_start_local:%Y-%m-%d %H:%M}")
        self.session.events.emit(AppointmentDidChange((old.id, new.id), ids((old.provider_id, new.provider_id))))
        return self.get(new.id)

    def set_meeting_link(self, appointment_id: str, link: str) -> CalendarItem:
        """Set the telehealth meeting link shown as "Join" and "Copy link"."""
        link = link.strip()
        if link and not link.lower().startswith("https://"):
            raise ValidationError({"meeting_link": "A meeting link starts with https://."})
        with self.session.store.write(self.session.actor.user_id) as s:
            a = self._load(s, appointment_id)
            if not a.telehealth:
                raise ValidationError({"meeting_link": "Only a telehealth visit has a meeting link."})
            a.meeting_link = link or None
            audit.record(self.session, s, action="update", record_type="appointment", record_id=a.id,
                         client_id=a.client_id, summary="Meeting link changed")
        self.session.events.emit(AppointmentDidChange((a.id,), (a.provider_id,)))
        return self.get(appointment_id)

    # -- reading -------------------------------------------------------------------------------

    def get(self, appointment_id: str) -> CalendarItem:
        """One appointment as the calendar shows it (PermissionDenied outside the user's scope)."""
        with self.session.store.read() as s:
            a = self._load(s, appointment_id, Action.READ)
            return self._items(s, [a])[0]

    def history(self, appointment_id: str) -> list[StatusHistoryItem]:
        """Who moved the appointment to which status, and when (oldest first)."""
        with self.session.store.read() as s:
            self._load(s, appointment_id, Action.READ)
            rows = s.scalars(select(AppointmentStatusChange).where(
                AppointmentStatusChange.appointment_id == appointment_id).order_by(AppointmentStatusChange.at))
            return [StatusHistoryItem(r.status, r.at, self.user_name(s, r.by), r.reason) for r in rows]

    def for_client(self, client_id: str, *, upcoming_only: bool = False) -> list[CalendarItem]:
        """A client's appointments for the chart (check-in, Join / Copy link), newest last."""
        with self.session.store.read() as s:
            self.require(s, Action.READ, client_id, None)
            q = select(Appointment).where(Appointment.client_id == client_id, Appointment.deleted.is_(False))
            if upcoming_only:
                q = q.where(Appointment.end_at > self.now())
            return self._items(s, list(s.scalars(q.order_by(Appointment.start_at))))

    def calendar(self, date_from: date, date_to: date, *, provider_ids: Sequence[str] | None = None,
                 room_ids: Sequence[str] | None = None, location_id: str | None = None,
                 include_cancelled: bool = True, with_risk: bool = True) -> list[CalendarItem]:
        """Every block from ``date_from`` to ``date_to`` (local dates, inclusive), in start order.

        Appointments the user may read come in full; everything else as busy/free blocks (a
        colleague's visits on a clinician's calendar, time off, imported events). Filters: providers,
        rooms (the room view), location.
        """
        require_any(self.session, Resource.SCHEDULE_BUSY_FREE, Action.READ)
        with self.session.store.read() as s:
            tz = self.tz(s)
            lo, _ = day_bounds_utc(date_from, tz)
            _, hi = day_bounds_utc(date_to, tz)
            q = select(Appointment).where(Appointment.deleted.is_(False), Appointment.start_at < hi,
                                          Appointment.end_at > lo)
            if provider_ids is not None:
                q = q.where(Appointment.provider_id.in_(list(provider_ids)))
            if room_ids is not None:
                q = q.where(Appointment.room_id.in_(list(room_ids)))
            if location_id is not None:
                q = q.where(Appointment.location_id == location_id)
            if not include_cancelled:
                q = q.where(Appointment.status.in_(HOLDING))
            found = list(s.scalars(q))
            self.prefetch_clinicians(s, (a.client_id for a in found))
            visible = [a for a in found if self.may_appointment(s, Action.READ, a.client_id, a.provider_id)]
            items = self._items(s, visible, with_risk=with_risk)
            seen = {a.id for a in visible}
            bq = select(BusyBlock).where(BusyBlock.deleted.is_(False), BusyBlock.active.is_(True),
                                         BusyBlock.start_at < hi, BusyBlock.end_at > lo)
            if provider_ids is not None:
                bq = bq.where(BusyBlock.provider_id.in_(list(provider_ids)))
            if room_ids is not None:
                bq = bq.where(BusyBlock.room_id.in_(list(room_ids)))
            names = dict(s.execute(select(User.id, User.full_name)).all())
            for b in s.scalars(bq):
                if b.id in seen:
                    continue
                items.append(CalendarItem(
                    id=b.id, kind="busy" if b.kind == "appointment" else b.kind, provider_id=b.provider_id,
                    provider_name=names.get(b.provider_id or "", ""), start_at=b.start_at, end_at=b.end_at,
                    start_local=to_local(b.start_at, tz), end_local=to_local(b.end_at, tz), room_id=b.room_id,
                    buffer_before=b.buffer_before, buffer_after=b.buffer_after,
                    type_name={"time_off": "Time off", "imported": "Busy"}.get(b.kind, "Busy")))
            items.sort(key=lambda i: (i.start_at, i.provider_name, i.id))
            return items

    def today(self, *, provider_id: str | None = None) -> list[CalendarItem]:
        """Today's appointments in time order: every provider's for the front desk, a clinician's own
        (``provider_id`` filters)."""
        with self.session.store.read() as s:
            day = self.local_today(s)
        providers = [provider_id] if provider_id else None
        if self.session.actor.role is Role.CLINICIAN and provider_id is None:
            providers = [self.session.actor.user_id]
        return [i for i in self.calendar(day, day, provider_ids=providers) if i.kind == "appointment"]

    def stale(self) -> list[CalendarItem]:
        """Appointments still "scheduled" or "confirmed" 24 hours after their start: the front desk must
        record what happened (data-quality rule)."""
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            cutoff = self.now() - timedelta(hours=24)
            rows = [a for a in s.scalars(select(Appointment).where(
                Appointment.deleted.is_(False), Appointment.start_at <= cutoff,
                Appointment.status.in_((Status.SCHEDULED.value, Status.CONFIRMED.value))
            ).order_by(Appointment.start_at)) if self.may_appointment(s, Action.READ, a.client_id, a.provider_id)]
            return self._items(s, rows, with_risk=False)

    def double_bookings(self, date_from: date | None = None) -> list[DoubleBookingItem]:
        """Kept appointments that collide because two workstations booked them while apart, as the hub
        found them (``schedule_clashes``, recorded and resolved by the hub only, so every front desk
        shows the same list). Each names both, to be resolved by moving or cancelling one; the hub
        marks it resolved when the next change reaches it. Pairs this user cannot read both of are
        left to those who can."""
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            tz = self.tz(s)
            lo = day_bounds_utc(date_from or (self.local_today(s) - timedelta(days=7)), tz)[0]
            out: list[DoubleBookingItem] = []
            for clash in s.scalars(select(ScheduleClash).where(
                    ScheduleClash.status == "open", ScheduleClash.deleted.is_(False), ScheduleClash.end_at > lo
            ).order_by(ScheduleClash.start_at, ScheduleClash.id)):
                pair = [s.get(Appointment, clash.first_id), s.get(Appointment, clash.second_id)]
                both = [a for a in pair if a is not None and not a.deleted
                        and self.may_appointment(s, Action.READ, a.client_id, a.provider_id)]
                if len(both) < 2:
                    continue
                a_item, b_item = self._items(s, both, with_risk=False)
                what = {"provider": f"{a_item.provider_name} is booked twice",
                        "client": f"{a_item.client_name or 'the client'} is booked twice",
                        "room": f"{a_item.room_name or 'the room'} is booked twice"}.get(clash.kind, "booked twice")
                out.append(DoubleBookingItem(clash.kind, a_item, b_item,
                                             f"Booked twice while offline: {what} — "
                                             f"{self._short(a_item)} and {self._short(b_item)}. "
                                             "Move or cancel one."))
            return out

    @staticmethod
    def _short(i: CalendarItem) -> str:
        who = f" with {i.client_name}" if i.client_name else ""
        return f"{i.type_name}{who} at {day_and_clock(i.start_local)} ({i.provider_name})"

    def _items(self, s: Session, rows: Sequence[Appointment], *, with_risk: bool = True) -> list[CalendarItem]:
        if not rows:
            return []
        tz = self.tz(s)
        users = dict(s.execute(select(User.id, User.full_name)).all())
        types = {t.id: t for t in s.scalars(select(AppointmentType))}
        rooms = {r.id: r for r in s.scalars(select(Room))}
        locations = dict(s.execute(select(Location.id, Location.name)).all())
        client_ids = sorted({a.client_id for a in rows if a.client_id is not None})
        names: dict[str, str] = {}  # names only: a Client entity would load its insurances and consents too
        for start in range(0, len(client_ids), 500):
            for cid, last, first in s.execute(select(Client.id, Client.last_name, Client.first_name).where(
                    Client.id.in_(client_ids[start:start + 500]))):
                names[cid] = f"{last}, {first}"
        history = self._histories(s, client_ids) if with_risk else {}
        now = self.now()
        reminded = risk_reminders(s, client_ids, now) if with_risk else RiskReminders()
        out = []
        for a in rows:
            t = types.get(a.type_id)
            client_name = names.get(a.client_id or "")
            room = rooms.get(a.room_id or "")
            risk = None
            if with_risk and client_name is not None and Status(a.status) in (Status.SCHEDULED, Status.CONFIRMED) \
                    and a.start_at > now:
                h = history.get(a.client_id or "", {})
                lead = (a.start_at - (a.booked_at or a.start_at)).total_seconds() / 86400
                risk = no_show_risk(_before(h, a.start_at), lead_days=max(0.0, lead), hour=a.start_local.hour,
                                    weekday=a.start_local.weekday(), confirmed=a.confirmation == "confirmed",
                                    reminders=reminded.record(a.client_id), reminder=reminded.state(a.id))
            out.append(CalendarItem(
                id=a.id, kind="appointment", provider_id=a.provider_id, provider_name=users.get(a.provider_id, ""),
                start_at=a.start_at, end_at=a.end_at, start_local=to_local(a.start_at, tz),
                end_local=to_local(a.end_at, tz), room_id=a.room_id, room_name=room.name if room else "",
                location_id=a.location_id, location_name=locations.get(a.location_id or "", ""),
                client_id=a.client_id, client_name=client_name or "",
                type_id=a.type_id, type_name=t.name if t else "", color=t.color if t else "#9aa5b1",
                status=a.status, late_cancel=a.late_cancel, telehealth=a.telehealth, meeting_link=a.meeting_link,
                confirmation=a.confirmation, checked_in_at=a.checked_in_at, series_id=a.series_id,
                group_id=a.group_id, buffer_before=a.buffer_before, buffer_after=a.buffer_after,
                editable=self.may_appointment(s, Action.WRITE, a.client_id, a.provider_id), risk=risk))
        return out

    @staticmethod
    def _histories(s: Session, client_ids: list[str]) -> dict[str, dict[str, list[tuple[datetime, bool]]]]:
        """Per client: the start and late-cancel flag of each past completed, no-show and cancelled visit."""
        out: dict[str, dict[str, list[tuple[datetime, bool]]]] = defaultdict(lambda: defaultdict(list))
        for start in range(0, len(client_ids), 500):
            chunk = client_ids[start:start + 500]
            for cid, status, at, late in s.execute(select(  # client_id is in ``chunk``: never None
                    Appointment.client_id, Appointment.status, Appointment.start_at, Appointment.late_cancel).where(
                    Appointment.client_id.in_(chunk), Appointment.deleted.is_(False),
                    Appointment.status.in_(("completed", "no_show", "cancelled")))):
                out[str(cid)][status].append((at, late))
        return out

    def risk_history(self, client_id: str, before: datetime) -> History:
        """The client's counted history before ``before`` (what the no-show score reads)."""
        with self.session.store.read() as s:
            self.require(s, Action.READ, client_id, None)
            return _before(self._histories(s, [client_id]).get(client_id, {}), before)

    # -- export --------------------------------------------------------------------------------

    def export_csv(self, date_from: date, date_to: date, out: Path) -> int:
        """One row per appointment the user may read: id, client id, provider, type, start, end,
        status, series id, group id. Returns the number of rows; the export is audited."""
        if date_to < date_from:
            raise ValidationError({"until": "The end date is before the start date."})
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            tz = self.tz(s)
            lo, _ = day_bounds_utc(date_from, tz)
            _, hi = day_bounds_utc(date_to, tz)
            users = dict(s.execute(select(User.id, User.full_name)).all())
            types = dict(s.execute(select(AppointmentType.id, AppointmentType.name)).all())
            rows = [a for a in s.scalars(select(Appointment).where(
                Appointment.deleted.is_(False), Appointment.start_at >= lo, Appointment.start_at < hi
            ).order_by(Appointment.start_at, Appointment.id))
                if self.may_appointment(s, Action.READ, a.client_id, a.provider_id)]
            lines = [[a.id, a.client_id or "", users.get(a.provider_id, ""), types.get(a.type_id, ""),
                      to_local(a.start_at, tz).isoformat(timespec="minutes"),
                      to_local(a.end_at, tz).isoformat(timespec="minutes"), a.status, a.series_id or "",
                      a.group_id or ""] for a in rows]
        audit.write_csv(out, ["id", "client_id", "provider", "type", "start", "end", "status", "series_id",
                              "group_id"], lines, audited=(self.session, {
            "action": "export", "record_type": "appointments",
            "summary": f"{len(rows)} appointments {date_from}–{date_to} to {out.name}"}))
        return len(rows)

    # -- contact preferences -------------------------------------------------------------------

    def contact_preference(self, client_id: str) -> ContactPreference | None:
        """How the client wants reminders (None: nothing recorded yet)."""
        with self.session.store.read() as s:
            self.require(s, Action.READ, client_id, None)
            return s.scalar(select(ContactPreference).where(ContactPreference.client_id == client_id,
                                                            ContactPreference.deleted.is_(False)))

    def set_contact_preference(self, client_id: str, *, channel: str, allow_sms: bool = False,
                               allow_email: bool = True, allow_voice: bool = False, reminder_hours: int = 24,
                               leave_voicemail: bool = False) -> None:
        """Record how the client wants to be reminded (what reminders read later)."""
        if channel not in ("sms", "email", "voice", "none"):
            raise ValidationError({"channel": "Choose SMS, e-mail, voice or no reminders."})
        if not 1 <= reminder_hours <= 168:
            raise ValidationError({"reminder_hours": "Remind between 1 hour and 7 days ahead."})
        with self.session.store.write(self.session.actor.user_id) as s:
            self.require(s, Action.WRITE, client_id, None)
            pref = s.scalar(select(ContactPreference).where(ContactPreference.client_id == client_id))
            if pref is None:
                pref = ContactPreference(client_id=client_id)
                s.add(pref)
            pref.channel, pref.allow_sms, pref.allow_email, pref.allow_voice = channel, allow_sms, allow_email, \
                allow_voice
            pref.reminder_hours, pref.leave_voicemail, pref.deleted = reminder_hours, leave_voicemail, False
            # Consent needs a date and a source (reminders send no text without it): a person allowing
            # texts or calls here is recording it now, at the desk. Withdrawing clears it.
            for kind, allowed in (("sms", allow_sms), ("voice", allow_voice)):
                if allowed and getattr(pref, f"{kind}_consent_at") is None:
                    setattr(pref, f"{kind}_consent_at", self.now())
                    setattr(pref, f"{kind}_consent_source", "recorded at the front desk")
                elif not allowed:
                    setattr(pref, f"{kind}_consent_at", None)
            if allow_sms:
                pref.sms_opted_out_at = None
            audit.record(self.session, s, action="update", record_type="contact_preference", client_id=client_id,
                         summary=f"Reminders by {channel}")


def _before(h: dict[str, list[tuple[datetime, bool]]], when: datetime) -> History:
    return History(
        completed=sum(1 for at, _ in h.get("completed", ()) if at < when),
        no_shows=sum(1 for at, _ in h.get("no_show", ()) if at < when),
        late_cancels=sum(1 for at, late in h.get("cancelled", ()) if at < when and late),
    )


__all__ = ["AppointmentService", "BookingCheck", "BookingRefused", "BookingRequest", "CalendarItem",
           "DoubleBookingItem", "StatusHistoryItem", "describe_collisions"]
