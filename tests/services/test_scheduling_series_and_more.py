"""Series (preview, book, edit this / following / all, cancel), time off with covering providers,
the waitlist with offers, groups with attendance, and finding a slot."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRefused, BookingRequest
from mentalspace_desktop.services.scheduling.availability import AvailabilityService
from mentalspace_desktop.services.scheduling.finding import SlotFinder
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from mentalspace_desktop.services.scheduling.series import EditScope, SeriesChange, SeriesService
from mentalspace_desktop.services.scheduling.waitlist import WaitlistInput, WaitlistService
from mentalspace_desktop.store.scheduling_models import AppointmentSeries, GroupMember
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import Sched, build, clock, consent

TUE10 = datetime(2026, 3, 3, 10, 0)


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


def req(sched: Sched, start: datetime = TUE10, **kw: object) -> BookingRequest:
    values: dict[str, object] = {"provider_id": sched.practice.users["clinician"], "type_id": sched.individual,
                                 "start_local": start, "client_id": sched.client, "room_id": sched.room1}
    values.update(kw)
    return BookingRequest(**values)  # type: ignore[arg-type]


def series(sched: Sched, key: str = "front_desk") -> SeriesService:
    return SeriesService(sched.session(key), now=clock)


def test_series_keeps_wall_clock_across_dst_and_previews_collisions(sched: Sched) -> None:
    desk = series(sched)
    blocker = AppointmentService(sched.session("front_desk"), now=clock).book(
        req(sched, datetime(2026, 3, 17, 10), client_id=sched.other_client, room_id=sched.room2))
    preview = desk.preview_series(req(sched), "FREQ=WEEKLY;COUNT=4")
    assert [o.start_local.hour for o in preview.occurrences] == [10, 10, 10, 10]  # DST on March 8
    assert [o.occurrence_date for o in preview.colliding] == [date(2026, 3, 17)]
    assert "already booked" in preview.colliding[0].problems[0]
    with pytest.raises(BookingRefused, match="Tue Mar 17"):
        desk.book_series(req(sched), "FREQ=WEEKLY;COUNT=4")
    assert desk.calendar(date(2026, 3, 1), date(2026, 3, 31), provider_ids=[sched.practice.users["clinician"]]) \
        == desk.calendar(date(2026, 3, 1), date(2026, 3, 31), provider_ids=[sched.practice.users["clinician"]])
    with sched.practice.admin.store.read() as s:
        assert s.scalars(select(AppointmentSeries)).all() == []  # nothing half-saved
    sid = desk.book_series(req(sched), "FREQ=WEEKLY;COUNT=4", skip_dates=frozenset({date(2026, 3, 17)}))
    ids = desk.series_occurrences(sid)
    items = [desk.get(i) for i in ids]
    assert [i.start_local for i in items] == [datetime(2026, 3, 3, 10), datetime(2026, 3, 10, 10),
                                              datetime(2026, 3, 24, 10)]
    assert items[1].start_at.hour == 14 and items[0].start_at.hour == 15  # UTC moves, the wall clock does not
    assert blocker.id not in ids


@pytest.mark.parametrize("rule", ["FREQ=SOMETIMES", "FREQ=WEEKLY;COUNT=zz", "FREQ=MINUTELY"])
def test_malformed_rule_is_a_validation_error(sched: Sched, rule: str) -> None:
    with pytest.raises(ValidationError):
        series(sched).book_series(req(sched), rule)


def test_series_without_end_books_within_a_horizon(sched: Sched) -> None:
    sid = series(sched).book_series(req(sched), "FREQ=WEEKLY;INTERVAL=2")
    n = len(series(sched).series_occurrences(sid))
    assert 20 <= n <= 27


def test_open_series_is_extended_by_the_daily_job(sched: Sched) -> None:
    sid = series(sched).book_series(req(sched), "FREQ=WEEKLY;INTERVAL=2")
    before = len(series(sched).series_occurrences(sid))
    later = SeriesService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=90))
    later_blocker = AppointmentService(sched.session("admin"), now=lambda: clock() + timedelta(days=90))
    last = later.get(later.series_occurrences(sid)[-1]).start_local
    later_blocker.book(req(sched, last + timedelta(weeks=4), client_id=sched.other_client, room_id=sched.room2,
                           override_reason="consent renewal booked for that day"))
    notes = later.extend_open_series()
    after = later.series_occurrences(sid)
    assert len(after) >= before + 5  # about 90 days more, fortnightly
    assert len(notes) == 1 and "not booked" in notes[0] and "already booked" in notes[0]
    starts = {later.get(i).start_local for i in after}
    assert last + timedelta(weeks=2) in starts and last + timedelta(weeks=4) not in starts
    assert later.extend_open_series() == [] and len(later.series_occurrences(sid)) == len(after)


def test_edit_this_and_following_and_all(sched: Sched) -> None:
    desk = series(sched)
    sid = desk.book_series(req(sched), "FREQ=WEEKLY;COUNT=6")
    ids = desk.series_occurrences(sid)
    # This occurrence only.
    desk.edit(ids[0], EditScope.THIS, SeriesChange(start_time_local=(11, 0)))
    assert desk.get(ids[0]).start_local.hour == 11 and desk.get(ids[1]).start_local.hour == 10
    # This and following from the fourth: preview first, then apply; the series splits there.
    checks = desk.preview_edit(ids[3], EditScope.FOLLOWING, SeriesChange(start_time_local=(14, 0)))
    assert len(checks) == 3 and all(c.ok for c in checks)
    desk.edit(ids[3], EditScope.FOLLOWING, SeriesChange(start_time_local=(14, 0)))
    assert [desk.get(i).start_local.hour for i in ids] == [11, 10, 10, 14, 14, 14]
    with sched.practice.admin.store.read() as s:
        all_series = s.scalars(select(AppointmentSeries)).all()
        assert len(all_series) == 2
        first = next(x for x in all_series if x.id == sid)
        assert first.ends_on == date(2026, 3, 23) and first.rrule.endswith("COUNT=3")
        follow = next(x for x in all_series if x.id != sid)
        assert follow.start_local == datetime(2026, 3, 24, 14) and follow.rrule.endswith("COUNT=3")
    # A collision in "all" is refused occurrence by occurrence.
    AppointmentService(sched.session("front_desk"), now=clock).book(
        req(sched, datetime(2026, 3, 10, 15), client_id=sched.other_client, room_id=sched.room2))
    with pytest.raises(BookingRefused, match="Tue Mar 10, 3:00 PM"):  # the practice's 12-hour times
        desk.edit(ids[1], EditScope.ALL, SeriesChange(start_time_local=(15, 0)))
    assert desk.get(ids[1]).start_local.hour == 10


def test_cancel_following_ends_the_series(sched: Sched) -> None:
    desk = series(sched)
    sid = desk.book_series(req(sched), "FREQ=WEEKLY;COUNT=5")
    ids = desk.series_occurrences(sid)
    desk.cancel_occurrences(ids[1], EditScope.THIS, reason="holiday")
    desk.cancel_occurrences(ids[3], EditScope.FOLLOWING)
    assert [desk.get(i).status for i in ids] == ["scheduled", "cancelled", "scheduled", "cancelled", "cancelled"]
    with sched.practice.admin.store.read() as s:
        sr = s.get(AppointmentSeries, sid)
        assert sr is not None and '"2026-03-10"' in sr.exdates and sr.ends_on == date(2026, 3, 23)


def test_time_off_approval_lists_affected_with_covering_and_moves_in_one_step(sched: Sched) -> None:
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    a = desk.book(req(sched))
    clin_avail = AvailabilityService(sched.session("clinician"), now=clock)
    off = clin_avail.request_time_off(sched.practice.users["clinician"], datetime(2026, 3, 3, 0),
                                      datetime(2026, 3, 4, 0), reason="conference")
    with pytest.raises(PermissionDenied):
        clin_avail.decide_time_off(off, approve=True)
    with pytest.raises(PermissionDenied):
        clin_avail.request_time_off(sched.practice.users["other_clinician"], datetime(2026, 3, 5, 0),
                                    datetime(2026, 3, 6, 0))
    admin = AvailabilityService(sched.session("admin"), now=clock)
    affected = admin.decide_time_off(off, approve=True)
    assert [x.appointment.id for x in affected] == [a.id]
    covering = [pid for pid, _ in affected[0].covering]
    assert sched.practice.users["other_clinician"] in covering and sched.practice.users["clinician"] not in covering
    # Booking into approved time off is refused.
    with pytest.raises(BookingRefused, match="off"):
        desk.book(req(sched, datetime(2026, 3, 3, 14), client_id=sched.other_client, room_id=sched.room2))
    moved = admin.move_to_covering({a.id: sched.practice.users["other_clinician"]})
    assert moved == [a.id] and desk.get(a.id).provider_id == sched.practice.users["other_clinician"]
    denied = clin_avail.request_time_off(sched.practice.users["clinician"], datetime(2026, 3, 9, 0),
                                         datetime(2026, 3, 10, 0))
    assert admin.decide_time_off(denied, approve=False) == []
    assert {v.status for v in admin.time_off()} == {"approved", "denied"}


def test_override_hours_away_refuses_booking(sched: Sched) -> None:
    avail = AvailabilityService(sched.session("front_desk"), now=clock)
    avail.add_override(sched.practice.users["clinician"], date(2026, 3, 3), date(2026, 3, 3), available=False)
    with pytest.raises(BookingRefused, match="not working"):
        AppointmentService(sched.session("front_desk"), now=clock).book(req(sched))
    with pytest.raises(ValidationError):
        avail.add_override(sched.practice.users["clinician"], date(2026, 3, 5), date(2026, 3, 4), available=False)


def test_waitlist_best_matches_offer_and_outcome(sched: Sched) -> None:
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    wl = WaitlistService(sched.session("front_desk"), now=clock)
    a = desk.book(req(sched))
    c3 = sched.practice.add_client(clinician="clinician", last="Chen", first="Li").id
    consent(sched.practice, c3, ConsentKind.INFORMED_CONSENT)
    e_match = wl.add(WaitlistInput(c3, provider_id=sched.practice.users["clinician"], days=frozenset({1}),
                                   times=frozenset({"morning"}), urgency="soon", type_id=sched.individual))
    e_other = wl.add(WaitlistInput(sched.other_client, provider_id=sched.practice.users["other_clinician"]))
    assert {i.id for i in wl.entries()} == {e_match, e_other}
    assert "soon" in wl.entries()[0].priority.explain()
    desk.cancel(a.id, reason="client moved")
    matches = wl.matches_for_cancelled(a.id)
    assert [m.id for m in matches] == [e_match]
    assert matches[0].match is not None and "preferred provider" in matches[0].match.explain()
    offer = wl.offer(e_match, sched.practice.users["clinician"], TUE10, 50, type_id=sched.individual)
    booked = wl.record_outcome(offer, "accepted")
    assert booked is not None and booked.client_id == c3 and booked.start_local == TUE10
    assert [o.outcome for o in wl.offers(e_match)] == ["accepted"]
    assert e_match not in {i.id for i in wl.entries()}
    declined = wl.offer(e_other, sched.practice.users["other_clinician"], datetime(2026, 3, 4, 9), 50)
    assert wl.record_outcome(declined, "declined") is None
    with pytest.raises(ValidationError):
        wl.record_outcome(declined, "no_answer")  # already answered


def test_waitlist_offers_only_while_the_client_waits_two_desks_book_once(sched: Sched) -> None:
    """Two desks offered the same waiting client a slot each; the first acceptance books them, the
    second is refused (no second booking), and a booked or removed entry takes no new offer."""
    desk_a = WaitlistService(sched.session("front_desk"), now=clock)
    desk_b = WaitlistService(sched.practice.admin, now=clock)
    clinician = sched.practice.users["clinician"]
    entry = desk_a.add(WaitlistInput(sched.client, provider_id=clinician, type_id=sched.individual))
    offer_a = desk_a.offer(entry, clinician, TUE10, 50, type_id=sched.individual)
    offer_b = desk_b.offer(entry, clinician, datetime(2026, 3, 4, 10), 50, type_id=sched.individual)
    assert desk_a.record_outcome(offer_a, "accepted") is not None
    with pytest.raises(ValidationError, match="already booked"):
        desk_b.record_outcome(offer_b, "accepted")
    with pytest.raises(ValidationError, match="already booked"):
        desk_b.offer(entry, clinician, datetime(2026, 3, 5, 10), 50, type_id=sched.individual)
    booked = AppointmentService(sched.practice.admin, now=clock).for_client(sched.client)
    assert [i.start_local for i in booked] == [TUE10]
    assert [o.outcome for o in desk_b.offers(entry)] == ["accepted", "pending"]
    assert desk_b.record_outcome(offer_b, "declined") is None  # the answer to the other offer is still kept
    gone = desk_a.add(WaitlistInput(sched.other_client))
    pending = desk_a.offer(gone, clinician, datetime(2026, 3, 5, 11), 50, type_id=sched.individual)
    desk_b.remove(gone, reason="found care elsewhere")
    with pytest.raises(ValidationError, match="taken off the waitlist"):
        desk_a.offer(gone, clinician, datetime(2026, 3, 5, 10), 50, type_id=sched.individual)
    with pytest.raises(ValidationError, match="taken off the waitlist"):
        desk_a.record_outcome(pending, "accepted")
    assert AppointmentService(sched.practice.admin, now=clock).for_client(sched.other_client) == []



def test_waitlist_matching_follows_the_insurance_the_provider_sees(sched: Sched) -> None:
    """The clinician's caseload is on Aetna: a Cigna client waiting for them is not offered the slot;
    an entry without insurance written on it is matched on the client's primary insurance on file."""
    from mentalspace_desktop.services.clients import InsuranceInput

    wl = WaitlistService(sched.session("front_desk"), now=clock)
    clinician = sched.practice.users["clinician"]

    def insured(last: str, payer: str, clinician: str = "clinician") -> str:
        return sched.practice.add_client(clinician=clinician, last=last, first="Kim",
                                         primary_insurance=InsuranceInput(payer, "W123456")).id

    insured("Caseload", "Aetna")
    on_file = wl.add(WaitlistInput(insured("Onfile", "aetna")))
    written = wl.add(WaitlistInput(sched.other_client, insurance="Aetna"))
    cigna = wl.add(WaitlistInput(insured("Othercover", "Cigna", "other_clinician"), urgency="urgent"))
    cigna_written = wl.add(WaitlistInput(sched.other_client, insurance="Cigna", urgency="urgent"))
    found = wl.matches_for_slot(clinician, TUE10)
    assert {m.id for m in found} == {on_file, written}
    assert all("provider sees" in (m.match.explain() if m.match else "") for m in found)
    assert cigna not in {m.id for m in found} and cigna_written not in {m.id for m in found}
    # A provider nothing is known of (no insured clients) excludes no one.
    everyone = wl.matches_for_slot(sched.practice.users["supervisor"], TUE10)
    assert {on_file, written, cigna, cigna_written} <= {m.id for m in everyone}

def test_groups_enrollment_screening_sessions_and_attendance(sched: Sched) -> None:
    desk = GroupService(sched.session("front_desk"), now=clock)
    gid = desk.create(GroupInput("Anxiety skills", sched.group_type, sched.practice.users["clinician"],
                                 cofacilitator_id=sched.practice.users["supervisor"], capacity=2,
                                 screening_required=True, room_id=sched.room2))
    m1 = desk.enroll(gid, sched.client)
    m2 = desk.enroll(gid, sched.other_client)
    c3 = sched.practice.add_client(clinician="clinician", last="Chen", first="Li").id
    with pytest.raises(ValidationError, match="full"):
        desk.enroll(gid, c3)
    with pytest.raises(PermissionDenied):
        desk.screen(m1, approve=True, notes="Good fit")  # the front desk writes no clinical text
    clin = GroupService(sched.session("clinician"), now=clock)
    clin.screen(m1, approve=True, notes="Good fit; panic symptoms")
    GroupService(sched.session("admin"), now=clock).screen(m2, approve=True)
    with sched.practice.admin.store.read() as s:
        stored = s.get(GroupMember, m1)
        assert stored is not None and "panic" not in (stored.screening_notes or "")  # sealed
    roster = clin.roster(gid)
    assert [v.screening_notes for v in roster if v.id == m1] == ["Good fit; panic symptoms"]
    assert all(v.screening_notes is None for v in desk.roster(gid))
    sid = desk.schedule_sessions(gid, datetime(2026, 3, 4, 13), "FREQ=WEEKLY;COUNT=3")
    sessions = desk.sessions(gid)
    assert len(sessions) == 3 and all(x.series_id == sid and x.client_id is None for x in sessions)
    sheet = desk.attendance_sheet(sessions[0].id)
    assert [r.client_name for r in sheet] == ["Okafor, Ben", "Rivera, Ana"] and {r.status for r in sheet} == {""}
    during = GroupService(sched.session("front_desk"), now=lambda: clock() + timedelta(days=2, hours=4))
    during.record_attendance(sessions[0].id, {sched.client: "attended", sched.other_client: "absent"})
    during.record_attendance(sessions[0].id, {sched.client: "attended", sched.other_client: "cancelled"})
    assert {r.client_id: r.status for r in desk.attendance_sheet(sessions[0].id)} == {
        sched.client: "attended", sched.other_client: "cancelled"}
    assert desk.attendance_history(gid, sched.client) == [(date(2026, 3, 4), "attended")]
    with pytest.raises(ValidationError):
        during.record_attendance(sessions[0].id, {sched.client: "late"})
    # A member is taken during the group's sessions.
    with pytest.raises(BookingRefused, match="client already has"):
        AppointmentService(sched.session("front_desk"), now=clock).book(
            req(sched, datetime(2026, 3, 11, 13, 30), provider_id=sched.practice.users["other_clinician"],
                room_id=None))


def test_find_slot_by_form_and_phrase(sched: Sched) -> None:
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    desk.book(req(sched, datetime(2026, 3, 3, 13)))
    finder = SlotFinder(sched.session("front_desk"), now=clock)
    slots = finder.find(type_id=sched.individual, date_from=date(2026, 3, 3), date_to=date(2026, 3, 3),
                        provider_ids=[sched.practice.users["clinician"]], time_of_day="afternoon", limit=50)
    starts = {f.slot.start_local.time().isoformat("minutes") for f in slots}
    assert "13:00" not in starts and "13:30" not in starts and "14:00" in starts and "12:15" not in starts
    assert all(f.provider_name == "Casey Clinician" for f in slots)
    result = finder.find_by_phrase("Casey Tuesday afternoon")
    assert result.slots and result.slots[0].slot.start_local.date() == date(2026, 3, 3)
    assert "Casey Clinician" in result.understood
    intake = finder.find_by_phrase("any intake slot this week after 4pm")
    assert intake.type_id == sched.intake
    assert all(f.slot.start_local.hour >= 16 and f.slot.start_local.date() <= date(2026, 3, 8) for f in intake.slots)
    # An hour-long intake after 4 pm fits a day ending at 5 pm only at 16:00.
    assert intake.slots and {f.slot.start_local.time().isoformat("minutes") for f in intake.slots} == {"16:00"}
