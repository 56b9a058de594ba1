"""Who and what can be booked, as the calendar's filters, columns and booking form list them.

Providers (clinicians and supervisors), rooms with their locations, locations, and the active
appointment types with what choosing one fills in. The appointments themselves come from the
scheduling services (``services/scheduling``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.scheduling_models import (
    AppointmentType,
    Location,
    Room,
)

PROVIDER_ROLES = (Role.CLINICIAN.value, Role.SUPERVISOR.value)


@dataclass(frozen=True)
class TypeChoice:
    """An appointment type as the booking form offers it."""

    id: str
    name: str
    category: str
    minutes: int
    cpt_code: str
    rate_cents: int | None
    colour: str
    telehealth_allowed: bool


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
    """The bookable people, places and types."""

    def __init__(self, session: UserSession) -> None:
        self.session = session
        if not (allows_any(session.actor.role, Resource.SCHEDULE, Action.READ)
                or allows_any(session.actor.role, Resource.SCHEDULE_BUSY_FREE, Action.READ)):
            raise PermissionDenied(f"Your role ({session.actor.role.label}) does not allow you to view the schedule.")

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

    def types(self) -> list[TypeChoice]:
        """Active appointment types in name order."""
        with self.session.store.read() as s:
            rows = s.scalars(select(AppointmentType).where(
                AppointmentType.active.is_(True), AppointmentType.deleted.is_(False)).order_by(AppointmentType.name))
            return [TypeChoice(t.id, t.name, t.category, t.default_minutes, t.cpt_code or "", t.rate_cents,
                               t.color, t.telehealth_allowed) for t in rows]
