"""The schedule's setup, for administrators: appointment types, locations, rooms, booking guards."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.domain.scheduling.guards import SETTINGS_KEY, GuardSettings
from mentalspace_desktop.domain.scheduling.times import MAX_MINUTES, MIN_MINUTES
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import ScheduleSetupDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.scheduling.common import SchedulingBase
from mentalspace_desktop.store.scheduling_models import AppointmentType, Location, Room

CATEGORIES = {
    "individual": "Individual",
    "intake": "Intake",
    "family": "Family",
    "couples": "Couples",
    "group": "Group",
    "medication": "Medication management",
    "testing": "Testing",
    "crisis": "Crisis",
    "other": "Other",
}
_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_CPT = re.compile(r"^\d{4}[0-9A-Z]$")


@dataclass
class TypeInput:
    """What the appointment-type form holds."""

    name: str = ""
    category: str = "individual"
    default_minutes: int = 50
    buffer_before: int = 0
    buffer_after: int = 0
    color: str = "#4a7bd0"
    cpt_code: str = ""
    rate_cents: int | None = None
    max_per_day: int | None = None
    telehealth_allowed: bool = True
    needs_cosign: bool = False
    active: bool = True


def validate_type(data: TypeInput) -> dict[str, object]:
    errors: dict[str, str] = {}
    name = data.name.strip()
    if not name:
        errors["name"] = "Enter a name."
    if data.category not in CATEGORIES:
        errors["category"] = "Choose a category."
    if not MIN_MINUTES <= data.default_minutes <= MAX_MINUTES:
        errors["default_minutes"] = f"A visit lasts {MIN_MINUTES} minutes to {MAX_MINUTES // 60} hours."
    for f in ("buffer_before", "buffer_after"):
        if not 0 <= getattr(data, f) <= 120:
            errors[f] = "A buffer is 0 to 120 minutes."
    if not _COLOR.match(data.color):
        errors["color"] = "Choose a colour (#rrggbb)."
    cpt = data.cpt_code.strip().upper()
    if cpt and not _CPT.match(cpt):
        errors["cpt_code"] = "A CPT code has five characters, e.g. 90837."
    if data.rate_cents is not None and not 0 <= data.rate_cents <= 10_000_00:
        errors["rate_cents"] = "Enter a rate between $0 and $10,000."
    if data.max_per_day is not None and not 1 <= data.max_per_day <= 50:
        errors["max_per_day"] = "The daily maximum is 1 to 50 (or none)."
    if errors:
        raise ValidationError(errors)
    return {"name": name, "category": data.category, "default_minutes": data.default_minutes,
            "buffer_before": data.buffer_before, "buffer_after": data.buffer_after, "color": data.color.lower(),
            "cpt_code": cpt or None, "rate_cents": data.rate_cents, "max_per_day": data.max_per_day,
            "telehealth_allowed": data.telehealth_allowed, "needs_cosign": data.needs_cosign, "active": data.active}


class ScheduleSetupService(SchedulingBase):
    """Appointment types, locations and rooms (everyone reads them; administrators change them)."""

    def types(self, *, include_inactive: bool = False) -> list[AppointmentType]:
        """Appointment types by name."""
        with self.session.store.read() as s:
            q = select(AppointmentType).where(AppointmentType.deleted.is_(False)).order_by(AppointmentType.name)
            if not include_inactive:
                q = q.where(AppointmentType.active.is_(True))
            return list(s.scalars(q))

    def save_type(self, data: TypeInput, type_id: str | None = None) -> AppointmentType:
        """Create (``type_id`` None) or change an appointment type. Administrators only."""
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        values = validate_type(data)
        with self.session.store.write(self.session.actor.user_id) as s:
            clash = s.scalar(select(AppointmentType.id).where(AppointmentType.name == values["name"],
                                                              AppointmentType.deleted.is_(False)))
            if clash is not None and clash != type_id:
                raise ValidationError({"name": "Another appointment type has this name."})
            if type_id is None:
                t = AppointmentType(**values)
                s.add(t)
            else:
                found = s.get(AppointmentType, type_id)
                if found is None or found.deleted:
                    raise NotFound("That appointment type no longer exists.")
                t = found
                for k, v in values.items():
                    setattr(t, k, v)
            s.flush()
            audit.record(self.session, s, action="create" if type_id is None else "update",
                         record_type="appointment_type", record_id=t.id, summary=str(values["name"]))
        self.session.events.emit(ScheduleSetupDidChange("types"))
        return t

    def locations(self) -> list[Location]:
        with self.session.store.read() as s:
            return list(s.scalars(select(Location).where(Location.deleted.is_(False)).order_by(Location.name)))

    def save_location(self, name: str, *, address: str = "", phone: str = "", location_id: str | None = None
                      ) -> Location:
        """Create or rename an office. Administrators only."""
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        if not name.strip():
            raise ValidationError({"name": "Enter the location's name."})
        with self.session.store.write(self.session.actor.user_id) as s:
            loc = s.get(Location, location_id) if location_id else None
            if loc is None:
                loc = Location(name=name.strip())
                s.add(loc)
            loc.name, loc.address, loc.phone = name.strip(), address.strip() or None, phone.strip() or None
            s.flush()
            audit.record(self.session, s, action="update", record_type="location", record_id=loc.id, summary=loc.name)
        self.session.events.emit(ScheduleSetupDidChange("locations"))
        return loc

    def rooms(self, location_id: str | None = None) -> list[Room]:
        with self.session.store.read() as s:
            q = select(Room).where(Room.deleted.is_(False), Room.active.is_(True)).order_by(Room.name)
            if location_id:
                q = q.where(Room.location_id == location_id)
            return list(s.scalars(q))

    def save_room(self, location_id: str, name: str, *, capacity: int = 2, room_id: str | None = None) -> Room:
        """Create or change a room. Administrators only."""
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        if not name.strip():
            raise ValidationError({"name": "Enter the room's name."})
        if not 1 <= capacity <= 100:
            raise ValidationError({"capacity": "A room holds 1 to 100 people."})
        with self.session.store.write(self.session.actor.user_id) as s:
            if s.get(Location, location_id) is None:
                raise ValidationError({"location": "Choose the room's location."})
            room = s.get(Room, room_id) if room_id else None
            if room is None:
                room = Room(location_id=location_id, name=name.strip())
                s.add(room)
            room.location_id, room.name, room.capacity = location_id, name.strip(), capacity
            s.flush()
            audit.record(self.session, s, action="update", record_type="room", record_id=room.id, summary=room.name)
        self.session.events.emit(ScheduleSetupDidChange("rooms"))
        return room

    def guard_settings_now(self) -> GuardSettings:
        """The booking guards in force."""
        with self.session.store.read() as s:
            return self.guard_settings(s)

    def set_guard_settings(self, settings: GuardSettings) -> None:
        """Change which consents booking requires. Administrators only; audited."""
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        try:
            GuardSettings.from_dict(settings.to_dict())
        except ValueError as exc:
            raise ValidationError({"guards": str(exc)}) from None
        with self.session.store.write(self.session.actor.user_id) as s:
            practice = self.practice(s)
            raw = json.loads(practice.rule_settings or "{}")
            raw[SETTINGS_KEY] = settings.to_dict()
            practice.rule_settings = json.dumps(raw, sort_keys=True)
            audit.record(self.session, s, action="update", record_type="booking_guards",
                         summary=json.dumps(settings.to_dict(), sort_keys=True))
        self.session.events.emit(ScheduleSetupDidChange("guards"))
