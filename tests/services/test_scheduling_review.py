"""Defects a front desk ran into with series, covering providers and the series job: each test
failed before its fix."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.scheduling.recurrence import expand
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRefused
from mentalspace_desktop.services.scheduling.availability import AvailabilityService
from mentalspace_desktop.services.scheduling.calendar_files import CalendarFileService
from mentalspace_desktop.services.scheduling.finding import SlotFinder
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from mentalspace_desktop.services.scheduling.series import EditScope, SeriesChange, SeriesService
from mentalspace_desktop.services.scheduling.setup import ScheduleSetupService
from mentalspace_desktop.services.scheduling.waitlist import WaitlistInput, WaitlistService
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentSeries
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import TUE10, Sched, booking, build, clock


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


req = booking


def test_a_covering_provider_cannot_cancel_or_move_the_rest_of_the_series(sched: Sched) -> None:
    """One session of the clinician's weekly client is given to a colleague while the clinician is
    away: the colleague runs that session, not the clinician's other sessions of the series."""
    desk = SeriesService(sched.session("front_desk"), now=clock)
    ids = desk.series_occurrences(desk.book_series(req(sched), "FREQ=WEEKLY;BYDAY=TU;COUNT=4"))
    desk.move(ids[1], datetime(2026, 3, 10, 10), provider_id=sched.practice.users["other_clinician"])
    cover = SeriesService(sched.session("other_clinician"), now=clock)
    for scope in (EditScope.FOLLOWING, EditScope.ALL):
        with pytest.raises(PermissionDenied):
            cover.cancel_occurrences(ids[1], scope)
        with pytest.raises(PermissionDenied):
            cover.edit(ids[1], scope, SeriesChange(start_time_local=(11, 0)))
        with pytest.raises(PermissionDenied):
            cover.preview_edit(ids[1], scope, SeriesChange(start_time_local=(11, 0)))
    assert [desk.get(i).status for i in ids] == ["scheduled"] * 4
    assert [desk.get(i).start_local.hour for i in ids] == [10] * 4
    # The session given to them stays theirs to run.
    cover.edit(ids[1], EditScope.THIS, SeriesChange(start_time_local=(11, 0)))
    cover.cancel_occurrences(ids[1], EditScope.THIS, reason="client ill")
    assert desk.get(ids[1]).status == "cancelled" and desk.get(ids[2]).status == "scheduled"


def test_the_series_path_keeps_the_life_cycle(sched: Sched) -> None:
    """A completed session cannot be cancelled or moved through "this session only", and cancelling
    "all sessions" leaves the client who is checked in today checked in."""
    later = SeriesService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=8))
    ids = later.series_occurrences(later.book_series(req(sched), "FREQ=WEEKLY;BYDAY=TU;COUNT=4"))
    later.complete(ids[0])
    later.check_in(ids[1])  # Tue Mar 10, 10:00: it is 10:00 that day
    with pytest.raises(ValidationError, match="completed"):
        later.cancel_occurrences(ids[0], EditScope.THIS)
    with pytest.raises(ValidationError, match="completed"):
        later.edit(ids[0], EditScope.THIS, SeriesChange(start_time_local=(13, 0)))
    assert later.get(ids[0]).status == "completed" and later.get(ids[0]).start_local.hour == 10
    with pytest.raises(ValidationError, match="checked in"):
        later.cancel_occurrences(ids[1], EditScope.THIS)
    cancelled = later.cancel_occurrences(ids[2], EditScope.ALL, reason="moving away")
    assert cancelled == ids[2:]
    assert [later.get(i).status for i in ids] == ["completed", "checked_in", "cancelled", "cancelled"]


@pytest.mark.parametrize("scope", [EditScope.FOLLOWING, EditScope.ALL])
def test_a_series_moved_to_another_weekday_keeps_that_day_when_booked_ahead(sched: Sched, scope: EditScope) -> None:
    """A weekly Tuesday client without an end moves to Wednesdays: the sessions booked later by the
    daily job fall on Wednesdays too, not back on Tuesdays."""
    desk = SeriesService(sched.session("front_desk"), now=clock)
    ids = desk.series_occurrences(desk.book_series(req(sched), "FREQ=WEEKLY;BYDAY=TU"))
    desk.edit(ids[2], scope, SeriesChange(shift_days=1))
    later = SeriesService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=60))
    assert later.extend_open_series() == []
    with sched.practice.admin.store.read() as s:
        days = [a.start_local for a in s.scalars(select(Appointment).where(
            Appointment.start_at > datetime(2026, 3, 12, tzinfo=UTC)).order_by(Appointment.start_at))]
    assert len(days) > 55 and {d.strftime("%A") for d in days} == {"Wednesday"}
    assert days[-1] - days[-2] == timedelta(weeks=1)


def test_a_series_longer_than_a_year_gets_all_its_sessions(sched: Sched) -> None:
    """"Weekly, after 60 sessions" is booked a year ahead at first; the rest follow as the year goes
    by (the daily job), up to the 60th and no further — none is silently left unbooked."""
    desk = SeriesService(sched.session("front_desk"), now=clock)
    sid = desk.book_series(req(sched), "FREQ=WEEKLY;BYDAY=TU;COUNT=60")
    assert 52 <= len(desk.series_occurrences(sid)) < 60
    later = SeriesService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=120))
    assert later.extend_open_series() == []
    starts = [later.get(i).start_local for i in later.series_occurrences(sid)]
    assert len(starts) == 60 and starts[-1] == TUE10 + timedelta(weeks=59)
    assert later.extend_open_series() == [] and len(later.series_occurrences(sid)) == 60


def test_booking_in_the_middle_of_a_week_off_is_refused(sched: Sched, tmp_path: Path) -> None:
    """Time off longer than a day (a week's vacation approved, a conference imported from the
    provider's own calendar as all-day events) blocks every day of it, not just its first hours."""
    admin = AvailabilityService(sched.session("admin"), now=clock)
    clinician = sched.practice.users["clinician"]
    off = admin.request_time_off(clinician, datetime(2026, 3, 2, 0), datetime(2026, 3, 7, 0), reason="vacation")
    admin.decide_time_off(off, approve=True)
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    with pytest.raises(BookingRefused, match="the provider is off"):
        desk.book(req(sched, datetime(2026, 3, 5, 10)))
    assert not desk.check(req(sched, datetime(2026, 3, 6, 15))).ok
    other = sched.practice.users["other_clinician"]
    ics = tmp_path / "conference.ics"
    ics.write_text("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n"
                   "BEGIN:VEVENT\r\nUID:conf-1@google.com\r\nDTSTAMP:20260201T000000Z\r\n"
                   "DTSTART;VALUE=DATE:20260309\r\nDTEND;VALUE=DATE:20260313\r\nSUMMARY:Conference\r\n"
                   "END:VEVENT\r\nEND:VCALENDAR\r\n")
    assert CalendarFileService(sched.session("front_desk"), now=clock).import_file(ics, other).imported == 1
    with pytest.raises(BookingRefused, match="the provider is off"):
        desk.book(req(sched, datetime(2026, 3, 11, 10), provider_id=other, client_id=sched.other_client))
    assert not any(f.slot.provider_id == other for f in SlotFinder(sched.session("front_desk"), now=clock).find(
        type_id=sched.individual, date_from=date(2026, 3, 11), date_to=date(2026, 3, 11)))


def test_finding_a_slot_for_a_provider_without_working_hours_says_so(sched: Sched) -> None:
    """No hours set up yet for the provider: the search says that, instead of "no free slot" (which
    sends the desk widening dates for ever)."""
    clinician = sched.practice.users["clinician"]
    AvailabilityService(sched.session("admin"), now=clock).set_weekly_hours(clinician, [])
    finder = SlotFinder(sched.session("front_desk"), now=clock)
    with pytest.raises(ValidationError, match="No working hours are set for Casey Clinician"):
        finder.find(type_id=sched.individual, date_from=date(2026, 3, 3), date_to=date(2026, 3, 10),
                    provider_ids=[clinician])
    with pytest.raises(ValidationError, match="Casey Clinician"):
        finder.find_by_phrase("Casey next week")
    # Among several providers, those with hours are searched as before.
    both = finder.find(type_id=sched.individual, date_from=date(2026, 3, 3), date_to=date(2026, 3, 3),
                       provider_ids=[clinician, sched.practice.users["other_clinician"]])
    assert both and {f.slot.provider_id for f in both} == {sched.practice.users["other_clinician"]}


def test_a_covering_provider_cannot_reschedule_the_visit_to_someone_else(sched: Sched) -> None:
    """Moving a covered visit to another provider is refused (the client's clinician decides who
    sees their client); rescheduling it must be refused the same way."""
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    a = desk.book(req(sched))
    desk.move(a.id, TUE10, provider_id=sched.practice.users["other_clinician"])
    cover = AppointmentService(sched.session("other_clinician"), now=clock)
    supervisor = sched.practice.users["supervisor"]
    with pytest.raises(PermissionDenied):
        cover.move(a.id, datetime(2026, 3, 4, 10), provider_id=supervisor)
    with pytest.raises(PermissionDenied):
        cover.reschedule(a.id, datetime(2026, 3, 4, 10), provider_id=supervisor)
    assert desk.get(a.id).status == "scheduled" and desk.get(a.id).provider_id != supervisor
    moved = cover.reschedule(a.id, datetime(2026, 3, 4, 10))  # their own day, as a move would be
    assert moved.provider_id == sched.practice.users["other_clinician"]


def test_attendance_is_taken_only_for_the_groups_members(sched: Sched) -> None:
    """The sheet lists the members; saving it for someone else (not in the group that day) is
    refused and saves nothing, rather than putting a group session in that client's history."""
    desk = GroupService(sched.session("front_desk"), now=clock)
    gid = desk.create(GroupInput("Anxiety skills", sched.group_type, sched.practice.users["clinician"],
                                 capacity=4, room_id=sched.room2))
    desk.enroll(gid, sched.client)
    desk.schedule_sessions(gid, datetime(2026, 3, 4, 13), "FREQ=WEEKLY;COUNT=2")
    session = desk.sessions(gid)[0].id
    desk = GroupService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=2, hours=5))
    with pytest.raises(ValidationError, match="not in this group"):
        desk.record_attendance(session, {sched.client: "attended", sched.other_client: "attended"})
    assert {r.client_id: r.status for r in desk.attendance_sheet(session)} == {sched.client: ""}
    assert desk.attendance_history(gid, sched.other_client) == []
    desk.record_attendance(session, {sched.client: "attended"})
    assert desk.attendance_history(gid, sched.client) == [(date(2026, 3, 4), "attended")]


def test_attendance_taken_after_the_start_completes_the_group_session(sched: Sched) -> None:
    """A group session whose attendance was taken is done: it leaves the front desk's list of visits
    still "scheduled" a day after their time. Attendance saved ahead (a member's cancellation) leaves
    the session scheduled; a session already completed is left as it is when the sheet is corrected."""
    desk = GroupService(sched.session("front_desk"), now=clock)
    gid = desk.create(GroupInput("Anxiety skills", sched.group_type, sched.practice.users["clinician"],
                                 capacity=4, room_id=sched.room2))
    desk.enroll(gid, sched.client)
    desk.enroll(gid, sched.other_client)
    desk.schedule_sessions(gid, datetime(2026, 3, 4, 13), "FREQ=WEEKLY;COUNT=2")
    first, second = (a.id for a in desk.sessions(gid))
    desk.record_attendance(second, {sched.other_client: "cancelled"})  # told the desk a week ahead
    during = GroupService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=2, hours=4))
    during.record_attendance(first, {sched.client: "attended", sched.other_client: "absent"})
    during.record_attendance(first, {sched.client: "attended", sched.other_client: "attended"})  # corrected
    look = AppointmentService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=20))
    assert look.get(first).status == "completed"
    assert [(h.status, h.by_name) for h in look.history(first)] == [("scheduled", "Dana Desk"),
                                                                    ("completed", "Dana Desk")]
    assert [i.id for i in look.stale()] == [second]  # nobody said what happened at the second one


def test_an_absurd_number_of_sessions_is_refused_and_nothing_is_saved(sched: Sched) -> None:
    """"COUNT=100000" booked a year of sessions under a series saying 100000, silently."""
    desk = SeriesService(sched.session("front_desk"), now=clock)
    with pytest.raises(ValidationError, match="1 to 400 sessions"):
        desk.preview_series(req(sched), "FREQ=WEEKLY;COUNT=100000")
    with pytest.raises(ValidationError, match="1 to 400 sessions"):
        desk.book_series(req(sched), "FREQ=WEEKLY;COUNT=100000")
    with sched.practice.admin.store.read() as s:
        assert s.scalars(select(Appointment)).all() == []


def test_a_visit_on_a_daylight_saving_night_lasts_its_length(sched: Sched) -> None:
    """A 60-minute crisis visit at 1:30 AM the night clocks fall back lasted two hours (its end was
    read on the far side of the change); one at 2:30 AM the night they spring forward was refused
    as lasting 0 minutes."""
    admin = AppointmentService(sched.session("admin"), now=clock)
    for start in (datetime(2026, 11, 1, 1, 30), datetime(2026, 3, 8, 2, 30)):
        a = admin.book(req(sched, start, minutes=60, override_reason="crisis line"))
        assert a.end_at - a.start_at == timedelta(minutes=60)
    nights = expand("FREQ=WEEKLY;COUNT=2", datetime(2026, 10, 25, 1, 30), 60, "America/New_York",
                    window_start=date(2026, 10, 25), window_end=date(2026, 11, 1))
    assert [o.end_utc - o.start_utc for o in nights] == [timedelta(minutes=60)] * 2


def test_a_freed_slot_is_not_offered_back_to_the_client_who_cancelled_it(sched: Sched) -> None:
    """Ana waits for an earlier time with her clinician and cancels her Tuesday visit: the list for
    that freed Tuesday names the other waiting clients, not Ana."""
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    wl = WaitlistService(sched.session("front_desk"), now=clock)
    clinician = sched.practice.users["clinician"]
    a = desk.book(req(sched))
    wl.add(WaitlistInput(sched.client, provider_id=clinician, urgency="soon"))
    other = wl.add(WaitlistInput(sched.other_client))
    desk.cancel(a.id, reason="cannot make it")
    assert [m.id for m in wl.matches_for_cancelled(a.id)] == [other]


def test_a_covering_provider_can_drag_the_visit_given_to_them(sched: Sched) -> None:
    """While dragging a block the calendar asks what the new time would collide with: for the
    covering provider that check answered "not on your caseload", so the drag was refused although
    the move itself is theirs to make. Checking a move to someone else is still refused."""
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    a = desk.book(req(sched))
    covering = sched.practice.users["other_clinician"]
    desk.move(a.id, TUE10, provider_id=covering)
    cover = AppointmentService(sched.session("other_clinician"), now=clock)
    drag = req(sched, datetime(2026, 3, 3, 11), provider_id=covering, minutes=50)
    assert cover.check(drag, ignore_id=a.id).ok
    with pytest.raises(PermissionDenied):
        cover.check(req(sched, datetime(2026, 3, 3, 11), provider_id=sched.practice.users["supervisor"]),
                    ignore_id=a.id)
    with pytest.raises(PermissionDenied):  # a new booking for the client is not theirs
        cover.check(drag)


def test_only_an_administrator_overrides_a_colliding_series(sched: Sched) -> None:
    """A reason typed by the front desk booked (or moved) a colliding series as if an administrator
    had overridden it — and the override text named no collision."""
    desk = SeriesService(sched.session("front_desk"), now=clock)
    AppointmentService(sched.session("front_desk"), now=clock).book(
        req(sched, datetime(2026, 3, 10, 10), client_id=sched.other_client, room_id=sched.room2))
    with pytest.raises(PermissionDenied, match="administrator"):
        desk.book_series(req(sched, override_reason="client insists"), "FREQ=WEEKLY;COUNT=3")
    with sched.practice.admin.store.read() as s:
        assert s.scalars(select(Appointment).where(Appointment.client_id == sched.client)).all() == []
    ids = desk.series_occurrences(desk.book_series(req(sched, datetime(2026, 3, 3, 14)), "FREQ=WEEKLY;COUNT=3"))
    with pytest.raises(PermissionDenied, match="administrator"):
        desk.edit(ids[0], EditScope.ALL, SeriesChange(start_time_local=(10, 0)), override_reason="client insists")
    assert desk.get(ids[1]).start_local.hour == 14
    admin = SeriesService(sched.session("admin"), now=clock)
    admin.edit(ids[0], EditScope.ALL, SeriesChange(start_time_local=(10, 0)), override_reason="client insists")
    moved = admin.get(ids[1])
    assert moved.start_local.hour == 10
    with sched.practice.admin.store.read() as s:
        stored = s.get(Appointment, ids[1])
        assert stored is not None and "client insists (overrode: " in (stored.override_reason or "")
        assert "already booked" in (stored.override_reason or "")


def test_find_a_slot_skips_days_where_the_type_is_at_its_daily_maximum(sched: Sched) -> None:
    """Two intakes a day at most: with two booked on Tuesday, find-a-slot offered Tuesday's free
    hours for an intake, and booking one was then refused."""
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    clinician = sched.practice.users["clinician"]
    for hour in (9, 11):
        desk.book(req(sched, datetime(2026, 3, 3, hour), type_id=sched.intake))
    finder = SlotFinder(sched.session("front_desk"), now=clock)
    found = finder.find(type_id=sched.intake, date_from=date(2026, 3, 3), date_to=date(2026, 3, 4),
                        provider_ids=[clinician])
    assert found and {f.slot.start_local.date() for f in found} == {date(2026, 3, 4)}
    individual = finder.find(type_id=sched.individual, date_from=date(2026, 3, 3), date_to=date(2026, 3, 3),
                             provider_ids=[clinician])
    assert individual  # other types are not limited by it


def test_moving_the_rest_of_a_counted_series_to_another_day_keeps_its_number_of_sessions(sched: Sched) -> None:
    """Eight Tuesdays; from the fourth on, Wednesdays at 2 PM: the first part ends with three sessions,
    the rest holds five, and the next day's job books no extra Tuesday."""
    desk = SeriesService(sched.session("front_desk"), now=clock)
    sid = desk.book_series(req(sched), "FREQ=WEEKLY;BYDAY=TU;COUNT=8")
    ids = desk.series_occurrences(sid)
    desk.edit(ids[3], EditScope.FOLLOWING, SeriesChange(start_time_local=(14, 0), shift_days=1))
    with sched.practice.admin.store.read() as s:
        rules = {x.id: (x.rrule, x.ends_on) for x in s.scalars(select(AppointmentSeries))}
    follow = next(k for k in rules if k != sid)
    assert rules[sid] == ("FREQ=WEEKLY;BYDAY=TU;COUNT=3", date(2026, 3, 23))
    assert rules[follow][0] == "FREQ=WEEKLY;BYDAY=WE;COUNT=5"
    next_day = SeriesService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=1))
    assert next_day.extend_open_series() == []
    assert len(next_day.series_occurrences(sid)) == 3 and len(next_day.series_occurrences(follow)) == 5


def test_booking_at_an_office_where_the_provider_does_not_work_that_day_is_refused(sched: Sched) -> None:
    """Working hours are kept per provider and location: the clinician works at Midtown; a room at
    the Uptown office on their Midtown day was booked without a word."""
    setup = ScheduleSetupService(sched.practice.admin, now=clock)
    uptown = setup.save_location("Uptown office").id
    room = setup.save_room(uptown, "Uptown 1").id
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    with pytest.raises(BookingRefused, match="Midtown office"):
        desk.book(req(sched, room_id=room))
    assert not desk.check(req(sched, location_id=uptown, room_id=None)).ok
    a = desk.book(req(sched))  # Room 1, Midtown
    with pytest.raises(BookingRefused, match="Midtown office"):
        desk.move(a.id, TUE10, room_id=room)
    assert desk.book(req(sched, datetime(2026, 3, 3, 15), room_id=None, telehealth=True)).telehealth


@pytest.mark.parametrize("link", ["file:///C:/Windows/System32/calc.exe", "meet.example/room-7",
                                  "javascript:alert(1)"])
def test_a_booking_keeps_only_a_real_meeting_link(sched: Sched, link: str) -> None:
    """The booking form saved whatever was typed as the meeting link, which "Join" then opens on
    the clinician's computer; changing the link later already required https://."""
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    with pytest.raises(ValidationError, match="https://"):
        desk.book(req(sched, room_id=None, telehealth=True, meeting_link=link))
    with pytest.raises(ValidationError, match="https://"):
        SeriesService(sched.session("front_desk"), now=clock).book_series(
            req(sched, room_id=None, telehealth=True, meeting_link=link), "FREQ=WEEKLY;COUNT=2")
    with sched.practice.admin.store.read() as s:
        assert s.scalars(select(Appointment)).all() == []
    ok = desk.book(req(sched, room_id=None, telehealth=True, meeting_link=" https://meet.example/room-7 "))
    assert ok.meeting_link == "https://meet.example/room-7"


def test_attendance_waits_for_the_session_to_start_but_a_cancellation_does_not(sched: Sched) -> None:
    """Attended or absent on a session that has not started would count a visit (or an absence) that
    never happened: refused with the session's time, saving nothing. A member who calls ahead is
    marked cancelled; a mark kept as it was is not refused again when the sheet is re-saved."""
    desk = GroupService(sched.session("front_desk"), now=clock)
    gid = desk.create(GroupInput("Anxiety skills", sched.group_type, sched.practice.users["clinician"],
                                 capacity=4, room_id=sched.room2))
    desk.enroll(gid, sched.client)
    desk.enroll(gid, sched.other_client)
    desk.schedule_sessions(gid, datetime(2026, 3, 4, 13), "FREQ=WEEKLY;COUNT=1")
    session = desk.sessions(gid)[0].id
    start = datetime(2026, 3, 4, 18, tzinfo=UTC)  # 1:00 PM in New York
    early = GroupService(sched.session("front_desk"), now=lambda: start - timedelta(minutes=1))
    assert "Wed Mar 4, 1:00 PM" in early.sheet(session).not_yet
    for mark in ("attended", "absent"):
        with pytest.raises(ValidationError, match=r"starts Wed Mar 4, 1:00 PM.*once it has started") as err:
            early.record_attendance(session, {sched.client: "cancelled", sched.other_client: mark})
        assert "cancelled now" in err.value.fields["attendance"]
    assert {r.status for r in desk.attendance_sheet(session)} == {""}  # nothing saved half-way
    early.record_attendance(session, {sched.other_client: "cancelled"})
    started = GroupService(sched.session("front_desk"), now=lambda: start)
    assert started.sheet(session).not_yet == ""
    started.record_attendance(session, {sched.client: "attended", sched.other_client: "cancelled"})
    # The session moves a week later: re-saving the sheet as it stands is not refused again.
    with sched.practice.admin.store.write(sched.practice.users["admin"]) as s:
        a = s.get(Appointment, session)
        assert a is not None
        a.start_at, a.end_at = a.start_at + timedelta(days=7), a.end_at + timedelta(days=7)
    started.record_attendance(session, {sched.client: "attended", sched.other_client: "cancelled"})
    with pytest.raises(ValidationError, match="once it has started"):
        started.record_attendance(session, {sched.client: "absent", sched.other_client: "cancelled"})
