"""A practice with a schedule set up: types, a location with rooms, working hours, consented clients."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.services.scheduling.appointments import BookingRequest
from mentalspace_desktop.services.scheduling.availability import AvailabilityService, HoursInput
from mentalspace_desktop.services.scheduling.setup import ScheduleSetupService, TypeInput
from mentalspace_desktop.services.session import UserSession
from tests.factories import PASSWORD, PracticeFixture

USERNAMES = {"supervisor": "sup", "clinician": "clin", "other_clinician": "oclin", "billing": "bill",
             "front_desk": "desk"}
NOW = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 in New York
MONDAY = date(2026, 3, 2)


@dataclass
class Sched:
    practice: PracticeFixture
    individual: str
    intake: str
    group_type: str
    location: str
    room1: str
    room2: str
    client: str  # the clinician's client, consented
    other_client: str  # the other clinician's client, consented
    signed_in: dict[str, UserSession] = field(default_factory=dict)

    def session(self, key: str) -> UserSession:
        """The user as their sign-in leaves them: holding the clinical key when their slot opens one
        (clinicians, supervisors), so clinical text is sealed and opened as in the app."""
        if key == "admin":
            return self.practice.admin
        if key not in self.signed_in:
            plain = self.practice.session_for(key)
            opened = self.practice.admin.slots.open_slot(USERNAMES[key], PASSWORD)
            self.signed_in[key] = UserSession(plain.store, plain.slots, plain.actor, plain.events,
                                              clinical_key=opened.clinical_key, signing_key=opened.signing_key)
        return self.signed_in[key]


def clock() -> datetime:
    return NOW


def consent(practice: PracticeFixture, client_id: str, *kinds: ConsentKind, signed: date = date(2026, 1, 5)) -> None:
    for kind in kinds:
        ClientService(practice.admin).add_consent(client_id, kind, signed_on=signed)


def build(practice: PracticeFixture) -> Sched:
    setup = ScheduleSetupService(practice.admin, now=clock)
    individual = setup.save_type(TypeInput(name="Individual therapy", category="individual", default_minutes=50,
                                           buffer_after=10, cpt_code="90834", rate_cents=12000)).id
    intake = setup.save_type(TypeInput(name="Intake assessment", category="intake", default_minutes=60,
                                       cpt_code="90791", max_per_day=2, telehealth_allowed=False)).id
    group_type = setup.save_type(TypeInput(name="Group therapy", category="group", default_minutes=90,
                                           cpt_code="90853")).id
    location = setup.save_location("Midtown office").id
    room1 = setup.save_room(location, "Room 1").id
    room2 = setup.save_room(location, "Room 2", capacity=10).id
    hours = AvailabilityService(practice.admin, now=clock)
    for key in ("clinician", "other_clinician", "supervisor"):
        hours.set_weekly_hours(practice.users[key], [HoursInput(d, "09:00", "17:00", location) for d in range(5)])
    client = practice.add_client(clinician="clinician", last="Rivera", first="Ana").id
    other = practice.add_client(clinician="other_clinician", last="Okafor", first="Ben").id
    for c in (client, other):
        consent(practice, c, ConsentKind.INFORMED_CONSENT, ConsentKind.TELEHEALTH_CONSENT)
    return Sched(practice, individual, intake, group_type, location, room1, room2, client, other)


TUE10 = datetime(2026, 3, 3, 10, 0)  # the day after NOW, 10:00 in New York


def booking(sched: Sched, start: datetime = TUE10, **kw: object) -> BookingRequest:
    """The clinician's client in Room 1 for individual therapy, unless ``kw`` says otherwise."""
    values: dict[str, object] = {"provider_id": sched.practice.users["clinician"], "type_id": sched.individual,
                                 "start_local": start, "client_id": sched.client, "room_id": sched.room1}
    values.update(kw)
    return BookingRequest(**values)  # type: ignore[arg-type]
