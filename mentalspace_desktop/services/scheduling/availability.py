"""Provider availability (weekly hours and date-bounded overrides) and time off (request, approve or
deny; on approval the affected appointments with covering providers, moved in one step)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Relation, Resource, Role, allows
from mentalspace_desktop.domain.scheduling.availability import EVERY_DAY
from mentalspace_desktop.domain.scheduling.conflicts import Candidate
from mentalspace_desktop.domain.scheduling.status import OPEN
from mentalspace_desktop.domain.scheduling.times import TimeError, parse_hhmm, to_local, to_utc
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import AppointmentDidChange, ScheduleSetupDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, CalendarItem
from mentalspace_desktop.services.scheduling.common import ids
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.scheduling_models import Appointment, BusyBlock, ProviderAvailability, TimeOff

PROVIDER_ROLES = (Role.CLINICIAN.value, Role.SUPERVISOR.value)


@dataclass(frozen=True)
class HoursInput:
    weekday: int  # 0 Monday … 6 Sunday
    start: str  # "09:00"
    end: str  # "17:00"
    location_id: str | None = None


@dataclass(frozen=True)
class AffectedAppointment:
    """An appointment inside approved time off, with providers who could take it (free then, and
    seeing this kind of visit)."""

    appointment: CalendarItem
    covering: list[tuple[str, str]]  # (provider id, name), best first


@dataclass(frozen=True)
class TimeOffView:
    id: str
    provider_id: str
    provider_name: str
    start_local: datetime
    end_local: datetime
    reason: str
    status: str
    decided_by_name: str


class AvailabilityService(AppointmentService):
    """Working hours and time off."""

    def _may_manage(self, provider_id: str) -> None:
        """Front desk, supervisors and administrators manage anyone's hours; a clinician their own."""
        require_any(self.session, Resource.SCHEDULE, Action.WRITE)
        own = provider_id == self.session.actor.user_id
        relation = Relation.OWN if own else Relation.OTHER
        if not allows(self.session.actor.role, Resource.SCHEDULE, Action.WRITE, relation):
            raise PermissionDenied("You can change only your own working hours and time off.")

    def providers(self) -> list[tuple[str, str]]:
        """Active clinicians and supervisors (id, name), by name: who can be booked."""
        with self.session.store.read() as s:
            return list(s.execute(select(User.id, User.full_name).where(
                User.role.in_(PROVIDER_ROLES), User.active.is_(True), User.deleted.is_(False)
            ).order_by(User.full_name)).all())

    def weekly_hours(self, provider_id: str) -> list[ProviderAvailability]:
        """The provider's hours rows (weekly and overrides), by weekday and time."""
        with self.session.store.read() as s:
            return list(s.scalars(select(ProviderAvailability).where(
                ProviderAvailability.provider_id == provider_id, ProviderAvailability.deleted.is_(False)
            ).order_by(ProviderAvailability.is_override, ProviderAvailability.weekday,
                       ProviderAvailability.start_time)))

    @staticmethod
    def _check_span(start: str, end: str) -> None:
        try:
            a, b = parse_hhmm(start), parse_hhmm(end)
        except TimeError as exc:
            raise ValidationError({"hours": str(exc)}) from None
        if b <= a:
            raise ValidationError({"hours": f"{start}–{end}: the end is not after the start."})

    def set_weekly_hours(self, provider_id: str, hours: list[HoursInput]) -> None:
        """Replace the provider's weekly hours (overrides stay)."""
        self._may_manage(provider_id)
        for h in hours:
            if not 0 <= h.weekday <= 6:
                raise ValidationError({"weekday": "Choose a day of the week."})
            self._check_span(h.start, h.end)
        with self.session.store.write(self.session.actor.user_id) as s:
            for row in s.scalars(select(ProviderAvailability).where(
                    ProviderAvailability.provider_id == provider_id, ProviderAvailability.is_override.is_(False),
                    ProviderAvailability.deleted.is_(False))):
                row.deleted = True
            for h in hours:
                s.add(ProviderAvailability(provider_id=provider_id, location_id=h.location_id, weekday=h.weekday,
                                           start_time=h.start, end_time=h.end, is_override=False, available=True))
            audit.record(self.session, s, action="update", record_type="availability", record_id=provider_id,
                         summary=f"{len(hours)} weekly spans")
        self.session.events.emit(ScheduleSetupDidChange("availability"))

    def add_override(self, provider_id: str, date_from: date, date_to: date, *, available: bool,
                     start: str = "00:00", end: str = "23:59", weekday: int = EVERY_DAY,
                     location_id: str | None = None) -> str:
        """Replace the weekly hours between two dates: away (``available`` False) or other hours."""
        self._may_manage(provider_id)
        if date_to < date_from:
            raise ValidationError({"date_to": "The last day is before the first."})
        if (date_to - date_from).days > 366:
            raise ValidationError({"date_to": "An override covers at most a year."})
        self._check_span(start, end)
        with self.session.store.write(self.session.actor.user_id) as s:
            row = ProviderAvailability(provider_id=provider_id, location_id=location_id, weekday=weekday,
                                       start_time=start, end_time=end, valid_from=date_from, valid_until=date_to,
                                       is_override=True, available=available)
            s.add(row)
            s.flush()
            audit.record(self.session, s, action="create", record_type="availability_override", record_id=row.id,
                         summary=f"{date_from}–{date_to} {'available ' + start + '–' + end if available else 'away'}")
        self.session.events.emit(ScheduleSetupDidChange("availability"))
        return row.id

    def remove_hours(self, row_id: str) -> None:
        """Remove one hours row (weekly or override)."""
        with self.session.store.write(self.session.actor.user_id) as s:
            row = s.get(ProviderAvailability, row_id)
            if row is None or row.deleted:
                raise NotFound("Those hours no longer exist.")
            self._may_manage(row.provider_id)
            row.deleted = True
            audit.record(self.session, s, action="delete", record_type="availability", record_id=row.id)
        self.session.events.emit(ScheduleSetupDidChange("availability"))

    # -- time off ------------------------------------------------------------------------------

    def request_time_off(self, provider_id: str, start_local: datetime, end_local: datetime, *,
                         reason: str = "") -> str:
        """Ask for time off (a clinician for themselves, the desk or an administrator for anyone)."""
        self._may_manage(provider_id)
        if end_local <= start_local:
            raise ValidationError({"end": "The time off ends before it starts."})
        with self.session.store.write(self.session.actor.user_id) as s:
            tz = self.tz(s)
            row = TimeOff(provider_id=provider_id, start_at=to_utc(start_local, tz), end_at=to_utc(end_local, tz),
                          reason=reason.strip() or None, status="requested",
                          requested_by=self.session.actor.user_id)
            s.add(row)
            s.flush()
            audit.record(self.session, s, action="create", record_type="time_off", record_id=row.id,
                         summary=f"{start_local:%Y-%m-%d %H:%M}–{end_local:%Y-%m-%d %H:%M} requested")
        self.session.events.emit(ScheduleSetupDidChange("time_off"))
        return row.id

    def time_off(self, *, status: str | None = None, provider_id: str | None = None) -> list[TimeOffView]:
        """Time-off requests (newest first), optionally by status or provider."""
        require_any(self.session, Resource.SCHEDULE_BUSY_FREE, Action.READ)
        with self.session.store.read() as s:
            tz = self.tz(s)
            q = select(TimeOff).where(TimeOff.deleted.is_(False)).order_by(TimeOff.start_at.desc())
            if status:
                q = q.where(TimeOff.status == status)
            if provider_id:
                q = q.where(TimeOff.provider_id == provider_id)
            return [TimeOffView(r.id, r.provider_id, self.user_name(s, r.provider_id), to_local(r.start_at, tz),
                                to_local(r.end_at, tz), r.reason or "", r.status, self.user_name(s, r.decided_by))
                    for r in s.scalars(q)]

    def decide_time_off(self, time_off_id: str, *, approve: bool, note: str = "") -> list[AffectedAppointment]:
        """Approve or deny a request (administrators). On approval the time is blocked and the
        appointments inside it are returned with suggested covering providers."""
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        with self.session.store.write(self.session.actor.user_id) as s:
            row = s.get(TimeOff, time_off_id)
            if row is None or row.deleted:
                raise NotFound("That time-off request no longer exists.")
            if row.status != "requested":
                raise ValidationError({"status": f"This request was already {row.status}."})
            row.status = "approved" if approve else "denied"
            row.decided_by, row.decided_at, row.decision_note = self.session.actor.user_id, self.now(), note or None
            if approve:
                s.add(BusyBlock(id=row.id, provider_id=row.provider_id, start_at=row.start_at, end_at=row.end_at,
                                kind="time_off", active=True))
            audit.record(self.session, s, action="time_off_" + row.status, record_type="time_off", record_id=row.id,
                         summary=note)
        self.session.events.emit(ScheduleSetupDidChange("time_off"))
        return self.affected_by_time_off(time_off_id) if approve else []

    def affected_by_time_off(self, time_off_id: str) -> list[AffectedAppointment]:
        """Open appointments of the provider inside the time off, each with covering providers."""
        with self.session.store.read() as s:
            row = s.get(TimeOff, time_off_id)
            if row is None:
                raise NotFound("That time-off request no longer exists.")
            appts = [a for a in s.scalars(select(Appointment).where(
                Appointment.provider_id == row.provider_id, Appointment.deleted.is_(False),
                Appointment.status.in_([x.value for x in OPEN]), Appointment.start_at < row.end_at,
                Appointment.end_at > row.start_at).order_by(Appointment.start_at))
                if self.may_appointment(s, Action.READ, a.client_id, a.provider_id)]
            items = self._items(s, appts, with_risk=False)
            return [AffectedAppointment(item, self._covering(s, a)) for a, item in zip(appts, items, strict=True)]

    def _covering(self, s: Session, a: Appointment) -> list[tuple[str, str]]:
        seen_type = set(s.scalars(select(Appointment.provider_id).where(Appointment.type_id == a.type_id)).all())
        out = []
        for pid, name in s.execute(select(User.id, User.full_name).where(
                User.role.in_(PROVIDER_ROLES), User.active.is_(True), User.deleted.is_(False), User.id != a.provider_id
        ).order_by(User.full_name)):
            cand = Candidate(a.start_at, a.end_at, pid, a.client_id, a.room_id, a.buffer_before, a.buffer_after,
                             frozenset({a.id}), self.office_of(s, a.room_id, a.location_id, a.telehealth))
            if not self.collisions(s, cand, type_id=a.type_id):
                out.append((pid in seen_type, pid, name))
        out.sort(key=lambda x: (not x[0], x[2]))
        return [(pid, name) for _, pid, name in out]

    def move_to_covering(self, moves: dict[str, str]) -> list[str]:
        """Give each appointment (id → covering provider id) to its new provider, same time, in one
        transaction: all move or none (BookingRefused names the one that cannot)."""
        changed: list[str] = []
        providers: list[str] = []
        with self.session.store.write(self.session.actor.user_id) as s:
            for appointment_id, provider_id in moves.items():
                a = self._load(s, appointment_id)
                providers += [a.provider_id, provider_id]
                self._change_time(s, a, to_local(a.start_at, self.tz(s)), a.end_at - a.start_at, provider_id,
                                  a.room_id, None, "give it to the covering provider")
                s.flush()
                changed.append(a.id)
        self.session.events.emit(AppointmentDidChange(tuple(changed), ids(providers)))
        return changed
