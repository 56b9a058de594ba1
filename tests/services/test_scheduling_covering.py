"""A covering provider: the visits given to them while a colleague is away are theirs to see and run
(client, type, status; confirm, cancel, move within their own day) for as long as they hold them —
but the client does not become theirs to book anew or to hand on."""

from __future__ import annotations

from datetime import datetime

import pytest

from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.calendar_view import CalendarReadService
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRequest
from mentalspace_desktop.services.scheduling.availability import AvailabilityService
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import MONDAY, Sched, build, clock

TUE10 = datetime(2026, 3, 3, 10, 0)


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


def test_a_covering_provider_sees_and_runs_the_visits_given_to_them(sched: Sched) -> None:
    clinician, covering = sched.practice.users["clinician"], sched.practice.users["other_clinician"]
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    a = desk.book(BookingRequest(provider_id=clinician, type_id=sched.individual, start_local=TUE10,
                                 client_id=sched.client, room_id=sched.room1))
    cover = CalendarReadService(sched.session("other_clinician"), now=clock)
    day = MONDAY.replace(day=3)
    # Before: the colleague's visit is busy time, nothing more.
    before = {i.id: i for i in cover.calendar(day, day)}
    assert before[a.id].kind == "busy" and before[a.id].client_id is None
    with pytest.raises(PermissionDenied):
        cover.get(a.id)
    admin = AvailabilityService(sched.session("admin"), now=clock)
    off = admin.request_time_off(clinician, datetime(2026, 3, 3, 0), datetime(2026, 3, 4, 0), reason="conference")
    admin.decide_time_off(off, approve=True)
    admin.move_to_covering({a.id: covering})
    # Covering: their own appointment, in full, and changeable.
    item = {i.id: i for i in cover.calendar(day, day)}[a.id]
    assert (item.kind, item.client_name, item.type_name, item.status) == (
        "appointment", "Rivera, Ana", "Individual therapy", "scheduled")
    assert item.editable
    assert cover.confirm(a.id).status == "confirmed"
    assert cover.move(a.id, datetime(2026, 3, 3, 11)).start_local == datetime(2026, 3, 3, 11)
    assert [h.status for h in cover.history(a.id)][-1] == "confirmed"
    # …but the client is not theirs: no new booking, no handing the visit on.
    with pytest.raises(PermissionDenied):
        cover.book(BookingRequest(provider_id=covering, type_id=sched.individual,
                                  start_local=datetime(2026, 3, 5, 10), client_id=sched.client))
    with pytest.raises(PermissionDenied):
        cover.move(a.id, datetime(2026, 3, 3, 11), provider_id=sched.practice.users["supervisor"])
    # Given back: busy time again.
    AppointmentService(sched.session("admin"), now=clock).move(a.id, datetime(2026, 3, 3, 11), provider_id=clinician,
                                                               override_reason="back from the conference")
    after = {i.id: i for i in cover.calendar(day, day)}
    assert after[a.id].kind == "busy"
    with pytest.raises(PermissionDenied):
        cover.cancel(a.id, reason="not mine any more")
