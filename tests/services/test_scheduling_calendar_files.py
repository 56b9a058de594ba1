"""Calendar files through the service: the feed is masked, imports block booking and are idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
import vobject

from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRefused, BookingRequest
from mentalspace_desktop.services.scheduling.calendar_files import CalendarFileService
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import Sched, build, clock

ICS = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Google Inc//Google Calendar 70.9054//EN
BEGIN:VEVENT
UID:dentist@google.com
SUMMARY:Dentist
DTSTART:20260303T190000Z
DTEND:20260303T200000Z
END:VEVENT
BEGIN:VEVENT
UID:trip@google.com
SUMMARY:Trip
DTSTART;VALUE=DATE:20260305
DTEND;VALUE=DATE:20260306
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


def test_feed_masks_and_single_export_round_trips(sched: Sched, tmp_path: Path) -> None:
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    a = desk.book(BookingRequest(provider_id=sched.practice.users["clinician"], type_id=sched.individual,
                                 start_local=datetime(2026, 3, 3, 10), client_id=sched.client, room_id=sched.room1))
    files = CalendarFileService(sched.session("clinician"), now=clock)
    feed = tmp_path / "feed.ics"
    assert files.export_feed(sched.practice.users["clinician"], a.start_local.date(), a.start_local.date(), feed) == 1
    text = feed.read_text()
    assert "Rivera" not in text and "Individual" not in text and "Room 1" not in text
    ev = vobject.readOne(text).vevent
    assert ev.summary.value == "Session" and ev.dtstart.value == a.start_at
    with pytest.raises(PermissionDenied):
        files.export_feed(sched.practice.users["other_clinician"], a.start_local.date(), a.start_local.date(), feed)
    one = tmp_path / "one.ics"
    files.export_appointment(a.id, one)
    ev = vobject.readOne(one.read_text()).vevent
    assert ev.summary.value.startswith("Individual therapy") and ev.location.value == "Room 1, Midtown office"
    assert ev.dtend.value - ev.dtstart.value == timedelta(minutes=50)


def test_import_blocks_booking_and_is_idempotent(sched: Sched, tmp_path: Path) -> None:
    f = tmp_path / "google.ics"
    f.write_text(ICS)
    clin = CalendarFileService(sched.session("clinician"), now=clock)
    first = clin.import_file(f, sched.practice.users["clinician"])
    assert (first.imported, first.updated, first.error) == (2, 0, None)
    assert "2 busy block(s) imported" in first.line
    again = clin.import_file(f, sched.practice.users["clinician"])
    assert (again.imported, again.updated) == (0, 2)
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    with pytest.raises(BookingRefused, match="another calendar"):
        desk.book(BookingRequest(provider_id=sched.practice.users["clinician"], type_id=sched.individual,
                                 start_local=datetime(2026, 3, 3, 14, 30), client_id=sched.client))
    with pytest.raises(BookingRefused, match="off"):
        desk.book(BookingRequest(provider_id=sched.practice.users["clinician"], type_id=sched.individual,
                                 start_local=datetime(2026, 3, 5, 10), client_id=sched.client))
    with pytest.raises(PermissionDenied):
        clin.import_file(f, sched.practice.users["other_clinician"])
    bad = tmp_path / "bad.ics"
    bad.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\n")
    refused = clin.import_file(bad, sched.practice.users["clinician"])
    assert refused.error and refused.line.startswith("bad.ics: refused")
    missing = clin.import_file(tmp_path / "nope.ics", sched.practice.users["clinician"])
    assert missing.error and "cannot read" in missing.error


def test_reimporting_a_calendar_frees_the_time_of_events_moved_or_cancelled_there(sched: Sched,
                                                                                 tmp_path: Path) -> None:
    """The clinician's dentist visit moved from 2 PM to 4 PM, and the trip was called off: after
    importing the new export, 2 PM and the trip's day can be booked again; 4 PM cannot."""
    f = tmp_path / "google.ics"
    f.write_text(ICS)
    clin = CalendarFileService(sched.session("clinician"), now=clock)
    clinician = sched.practice.users["clinician"]
    clin.import_file(f, clinician)
    f.write_text(ICS.replace("DTSTART:20260303T190000Z\nDTEND:20260303T200000Z",
                             "DTSTART:20260303T210000Z\nDTEND:20260303T220000Z")
                 .replace("SUMMARY:Trip", "SUMMARY:Trip\nSTATUS:CANCELLED"))
    again = clin.import_file(f, clinician)
    assert (again.imported, again.removed) == (1, 2) and "2 removed" in again.line
    desk = AppointmentService(sched.session("front_desk"), now=clock)

    def at(hour: int, day: int = 3) -> BookingRequest:
        return BookingRequest(provider_id=clinician, type_id=sched.individual,
                              start_local=datetime(2026, 3, day, hour), client_id=sched.client)

    assert desk.check(at(14)).ok and desk.check(at(10, day=5)).ok
    with pytest.raises(BookingRefused, match="another calendar"):
        desk.book(at(16))


def test_events_without_uid_from_two_files_are_kept_apart(sched: Sched, tmp_path: Path) -> None:
    """Some exports write no UID: importing a second such file must neither take the first file's
    events for its own ("already there") nor free their time."""
    def file(name: str, start: str, summary: str) -> Path:
        f = tmp_path / name
        f.write_text("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example//EN\nBEGIN:VEVENT\n"
                     f"SUMMARY:{summary}\nDTSTART:{start}\nDTEND:{start[:9]}235900Z\nEND:VEVENT\nEND:VCALENDAR\n")
        return f

    clin = CalendarFileService(sched.session("clinician"), now=clock)
    clinician = sched.practice.users["clinician"]
    first = clin.import_file(file("a.ics", "20260303T190000Z", "Dentist"), clinician)
    second = clin.import_file(file("b.ics", "20260304T190000Z", "School run"), clinician)
    assert (first.imported, second.imported, second.removed) == (1, 1, 0)
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    for day in (3, 4):
        with pytest.raises(BookingRefused, match="another calendar"):
            desk.book(BookingRequest(provider_id=clinician, type_id=sched.individual,
                                     start_local=datetime(2026, 3, day, 14, 30), client_id=sched.client))
    assert clin.import_file(tmp_path / "a.ics", clinician).updated == 1  # the same file again: known
