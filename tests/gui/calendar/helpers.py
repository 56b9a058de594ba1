"""A practice with a schedule: a location with rooms, appointment types, working hours, clients
with current consents, and appointments booked through the scheduling service.

Locations, rooms, types and hours are written straight into the store (as ``tests/factories.py``
does for notes): their administrator screens are tested on their own, and a calendar test needs a
practice that is already set up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import pytest

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRequest
from mentalspace_desktop.services.scheduling.common import SchedulingBase
from mentalspace_desktop.store.scheduling_models import AppointmentType, Location, ProviderAvailability, Room
from tests.factories import PracticeFixture

TYPES = (
    # name, category, minutes, colour, cpt, buffer after
    ("Individual therapy", "individual", 50, "#4a7bd0", "90834", 10),
    ("Intake assessment", "intake", 60, "#8e5cc4", "90791", 0),
    ("Couples session", "couples", 60, "#d9822b", "90847", 0),
    ("Medication management", "medication_management", 30, "#2e9e6b", "99214", 0),
)


def services_at(monkeypatch: pytest.MonkeyPatch, local: datetime, tz: str = "America/New_York") -> None:
    """The scheduling services a screen builds for itself read the clock at ``local`` (the practice's
    wall-clock time) — the time of the screen's own ``now``, so a check-in is asked at the time the
    test shows, whatever the hour the tests run at. Only the clock is replaced: the services are real."""
    monkeypatch.setitem(SchedulingBase.__init__.__kwdefaults__, "now", lambda: to_utc(local, tz))


@dataclass
class Schedule:
    practice: PracticeFixture
    day: date
    location_id: str = ""
    rooms: dict[str, str] = field(default_factory=dict)  # name -> id
    types: dict[str, str] = field(default_factory=dict)  # name -> id
    clients: dict[str, str] = field(default_factory=dict)  # "First Last" -> id
    appointments: dict[str, str] = field(default_factory=dict)  # label -> id

    def at(self, hour: int, minute: int = 0, days: int = 0) -> datetime:
        return datetime.combine(self.day + timedelta(days=days), time(hour, minute))

    def book(self, label: str, *, provider: str, client: str, hour: int, minute: int = 0, days: int = 0,
             type_name: str = "Individual therapy", room: str | None = "Room 1", telehealth: bool = False,
             link: str | None = None) -> str:
        item = AppointmentService(self.practice.admin).book(BookingRequest(
            provider_id=self.practice.users[provider], type_id=self.types[type_name],
            start_local=self.at(hour, minute, days), client_id=self.clients[client],
            room_id=None if telehealth or room is None else self.rooms[room], telehealth=telehealth,
            meeting_link=link))
        self.appointments[label] = item.id
        return item.id


def seed_schedule(practice: PracticeFixture, day: date, *, clients: int = 6) -> Schedule:
    """Set up ``practice`` for booking on ``day``: hours 8–18 every day of the week (so a test that
    books for today runs on a Sunday too)."""
    schedule = Schedule(practice, day)
    admin = practice.admin
    with admin.store.write(admin.actor.user_id) as s:
        location = Location(name="Main office")
        s.add(location)
        s.flush()
        schedule.location_id = location.id
        for name in ("Room 1", "Room 2", "Group room"):
            room = Room(location_id=location.id, name=name, capacity=10 if name == "Group room" else 2)
            s.add(room)
            s.flush()
            schedule.rooms[name] = room.id
        for name, category, minutes, colour, cpt, after in TYPES:
            kind = AppointmentType(name=name, category=category, default_minutes=minutes, color=colour,
                                   cpt_code=cpt, rate_cents=12000, buffer_after=after, telehealth_allowed=True)
            s.add(kind)
            s.flush()
            schedule.types[name] = kind.id
        for key in ("supervisor", "clinician", "other_clinician"):
            for weekday in range(7):
                s.add(ProviderAvailability(provider_id=practice.users[key], location_id=location.id,
                                           weekday=weekday, start_time="08:00", end_time="18:00"))
    names = [("Ana", "Rivera"), ("Marcus", "Hill"), ("Priya", "Shah"), ("Tom", "Becker"), ("Leo", "Park"),
             ("Kim", "Nguyen"), ("Omar", "Aziz"), ("Eva", "Stone")][:clients]
    service = ClientService(admin)
    for first, last in names:
        client = practice.add_client(clinician="clinician", first=first, last=last)
        for kind in (ConsentKind.INFORMED_CONSENT, ConsentKind.TELEHEALTH_CONSENT):
            service.add_consent(client.id, kind, signed_on=day - timedelta(days=30))
        schedule.clients[f"{first} {last}"] = client.id
    return schedule
