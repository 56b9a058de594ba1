"""What the calendar and the Today list read: one range query, shaped for the screen.

The calendar reloads its visible range whenever anything changes, on every workstation, so this is
one indexed query per table (appointments with their type, client, provider and room; busy blocks
for what this workstation may see only as busy) rather than a service call per appointment.

Times come back as naive wall times in the practice's time zone — what the grid draws. A role that
may see only its own schedule (a clinician) gets other providers' appointments as busy blocks:
no client, no type, nothing but the provider and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import aliased

from mentalspace_desktop.domain.roles import Action, Resource, Role, Scope, allows_any, scope_for
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client, Practice, User
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentType,
    BusyBlock,
    Location,
    Room,
)

PROVIDER_ROLES = (Role.CLINICIAN.value, Role.SUPERVISOR.value)


@dataclass(frozen=True)
class CalendarRow:
    """One appointment (or busy block) as the calendar shows it."""

    id: str
    start: datetime
    end: datetime
    provider_id: str
    provider_name: str
    room_id: str = ""
    room_name: str = ""
    location_id: str = ""
    client_id: str = ""
    client_name: str = ""
    type_id: str = ""
    type_name: str = ""
    colour: str = ""
    status: str = "scheduled"
    late_cancel: bool = False
    telehealth: bool = False
    meeting_link: str = ""
    series_id: str = ""
    confirmation: str = "unconfirmed"
    checked_in_at: datetime | None = None
    busy_only: bool = False
    busy_kind: str = ""


@dataclass(frozen=True)
class CalendarResources:
    providers: list[tuple[str, str]]
    rooms: list[tuple[str, str]]
    rooms_at: dict[str, str]
    locations: list[tuple[str, str]]
    own_provider_id: str


def client_display_name(first: str, last: str, preferred: str | None) -> str:
    return f"{preferred or first} {last}".strip()


class CalendarViewService:
    """Range reads for the calendar and Today screens."""

    def __init__(self, session: UserSession) -> None:
        self.session = session
        if not (allows_any(session.actor.role, Resource.SCHEDULE, Action.READ)
                or allows_any(session.actor.role, Resource.SCHEDULE_BUSY_FREE, Action.READ)):
            raise PermissionDenied(f"Your role ({session.actor.role.label}) does not allow you to view the schedule.")
        self.sees_all = scope_for(session.actor.role, Resource.SCHEDULE, Action.READ) >= Scope.ALL
        self._zone: ZoneInfo | None = None
        self._audited: set[tuple[datetime, datetime]] = set()

    @property
    def zone(self) -> ZoneInfo:
        if self._zone is None:
            with self.session.store.read() as s:
                name = s.scalar(select(Practice.time_zone).limit(1)) or "America/New_York"
            try:
                self._zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                self._zone = ZoneInfo("America/New_York")
        return self._zone

    def to_utc(self, wall: datetime) -> datetime:
        return wall.replace(tzinfo=self.zone).astimezone(UTC)

    def to_wall(self, moment: datetime) -> datetime:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.astimezone(self.zone).replace(tzinfo=None)

    def _audit_view(self, start: datetime, end: datetime, rows: list[CalendarRow]) -> None:
        """Seeing who comes when is a read of protected information: audited once per range and
        session (the calendar reloads on every change; the log records the look, not each repaint)."""
        if (start, end) in self._audited or all(r.busy_only for r in rows):
            return
        self._audited.add((start, end))
        with self.session.store.write(self.session.actor.user_id) as s:
            audit.record(self.session, s, action="view", record_type="schedule", record_id=None,
                         summary=f"Schedule {start:%Y-%m-%d} to {(end - timedelta(seconds=1)):%Y-%m-%d}")

    def resources(self) -> CalendarResources:
        with self.session.store.read() as s:
            providers = [(uid, name) for uid, name in s.execute(
                select(User.id, User.full_name)
                .where(User.role.in_(PROVIDER_ROLES), User.active.is_(True), User.deleted.is_(False))
                .order_by(User.full_name))]
            locations = [(lid, name) for lid, name in s.execute(
                select(Location.id, Location.name)
                .where(Location.active.is_(True), Location.deleted.is_(False)).order_by(Location.name))]
            room_rows = s.execute(
                select(Room.id, Room.name, Room.location_id)
                .where(Room.active.is_(True), Room.deleted.is_(False)).order_by(Room.name)).all()
        names = dict(locations)
        several = len(locations) > 1
        rooms = [(rid, f"{name} · {names.get(lid, '')}" if several else name) for rid, name, lid in room_rows]
        own = self.session.actor.user_id if self.session.actor.role.value in PROVIDER_ROLES else ""
        return CalendarResources(providers, rooms, {rid: lid for rid, _n, lid in room_rows}, locations, own)

    def range(self, start: datetime, end: datetime, *, provider_ids: set[str] | None = None) -> list[CalendarRow]:
        """Appointments and busy time from ``start`` to ``end`` (wall times), in start order."""
        lo, hi = self.to_utc(start), self.to_utc(end)
        own = self.session.actor.user_id
        provider = aliased(User)
        rows: list[CalendarRow] = []
        shown: set[str] = set()
        with self.session.store.read() as s:
            query = (
                select(Appointment, AppointmentType.name, AppointmentType.color, provider.full_name,
                       Client.first_name, Client.last_name, Client.preferred_name, Client.primary_clinician_id,
                       Room.name)
                .join(AppointmentType, AppointmentType.id == Appointment.type_id)
                .join(provider, provider.id == Appointment.provider_id)
                .outerjoin(Client, Client.id == Appointment.client_id)
                .outerjoin(Room, Room.id == Appointment.room_id)
                .where(Appointment.start_at < hi, Appointment.end_at > lo, Appointment.deleted.is_(False))
                .order_by(Appointment.start_at)
            )
            if provider_ids is not None:
                query = query.where(Appointment.provider_id.in_(provider_ids))
            names = dict(s.execute(select(User.id, User.full_name)).all())
            for a, type_name, colour, provider_name, first, last, preferred, primary, room_name in s.execute(query):
                mine = a.provider_id == own or primary == own
                if not self.sees_all and not mine:
                    continue  # shown below from its busy twin, without who or why
                shown.add(a.id)
                rows.append(CalendarRow(
                    id=a.id, start=self.to_wall(a.start_at), end=self.to_wall(a.end_at),
                    provider_id=a.provider_id, provider_name=provider_name, room_id=a.room_id or "",
                    room_name=room_name or "", location_id=a.location_id or "", client_id=a.client_id or "",
                    client_name=client_display_name(first, last, preferred) if first is not None else "Group session",
                    type_id=a.type_id, type_name=type_name, colour=colour or "", status=a.status,
                    late_cancel=a.late_cancel, telehealth=a.telehealth, meeting_link=a.meeting_link or "",
                    series_id=a.series_id or "", confirmation=a.confirmation,
                    checked_in_at=self.to_wall(a.checked_in_at) if a.checked_in_at else None,
                ))
            busy = select(BusyBlock).where(
                BusyBlock.start_at < hi, BusyBlock.end_at > lo, BusyBlock.deleted.is_(False),
                BusyBlock.active.is_(True), BusyBlock.provider_id.is_not(None),
            )
            if provider_ids is not None:
                busy = busy.where(BusyBlock.provider_id.in_(provider_ids))
            for b in s.scalars(busy):
                if b.id in shown:  # the appointment itself is drawn; its busy twin would double it
                    continue
                rows.append(CalendarRow(
                    id=b.id, start=self.to_wall(b.start_at), end=self.to_wall(b.end_at),
                    provider_id=b.provider_id or "", provider_name=names.get(b.provider_id or "", ""),
                    room_id=b.room_id or "", busy_only=True, busy_kind=b.kind, status="scheduled",
                ))
        self._audit_view(start, end, rows)
        rows.sort(key=lambda r: (r.start, r.provider_name, r.id))
        return rows
