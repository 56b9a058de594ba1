"""Booking, moving, resizing, the life cycle, conflicts, overrides, guards, busy/free, exports."""

from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.events import AppointmentDidChange, Event
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRefused, BookingRequest
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.scheduling_models import Appointment, BusyBlock
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import NOW, Sched, build, clock, consent

TUE10 = datetime(2026, 3, 3, 10, 0)


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


def svc(sched: Sched, key: str = "front_desk", now=clock) -> AppointmentService:  # type: ignore[no-untyped-def]
    return AppointmentService(sched.session(key), now=now)


def req(sched: Sched, start: datetime = TUE10, **kw: object) -> BookingRequest:
    values: dict[str, object] = {"provider_id": sched.practice.users["clinician"], "type_id": sched.individual,
                                 "start_local": start, "client_id": sched.client, "room_id": sched.room1}
    values.update(kw)
    return BookingRequest(**values)  # type: ignore[arg-type]


def test_book_fills_duration_from_type_writes_busy_twin_audit_and_event(sched: Sched) -> None:
    events: list[Event] = []
    sched.practice.admin.events.subscribe(events.append)
    item = svc(sched).book(req(sched))
    assert (item.start_local, item.end_local) == (TUE10, TUE10 + timedelta(minutes=50))
    assert item.type_name == "Individual therapy" and item.status == "scheduled" and item.room_name == "Room 1"
    assert item.risk is not None and item.risk.factors
    with sched.practice.admin.store.read() as s:
        busy = s.get(BusyBlock, item.id)
        assert busy is not None and busy.provider_id == item.provider_id and busy.buffer_after == 10
        assert s.scalar(select(AuditEntry).where(AuditEntry.action == "appointment_booked",
                                                 AuditEntry.record_id == item.id)) is not None
    assert any(isinstance(e, AppointmentDidChange) and item.id in e.appointment_ids for e in events)
    assert [h.status for h in svc(sched).history(item.id)] == ["scheduled"]


@pytest.mark.parametrize(("minutes", "message"), [(0, "at least"), (24 * 60, "at most"), (-30, "before it starts")])
def test_impossible_times_save_nothing(sched: Sched, minutes: int, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        svc(sched).book(req(sched, minutes=minutes))
    with sched.practice.admin.store.read() as s:
        assert s.scalars(select(Appointment)).all() == []
        assert s.scalars(select(BusyBlock)).all() == []


def test_conflicts_refused_with_what_they_collide_with(sched: Sched) -> None:
    desk = svc(sched)
    first = desk.book(req(sched))
    # Same provider within the 10-minute buffer after the visit.
    with pytest.raises(BookingRefused, match="provider is already booked") as err:
        desk.book(req(sched, TUE10 + timedelta(minutes=55), client_id=sched.other_client, room_id=sched.room2))
    assert err.value.collisions[0].other_id == first.id and "Rivera" in err.value.message
    # Same client with another provider.
    with pytest.raises(BookingRefused, match="client already has"):
        desk.book(req(sched, provider_id=sched.practice.users["other_clinician"], room_id=sched.room2))
    # Same room.
    with pytest.raises(BookingRefused, match="room is taken"):
        desk.book(req(sched, provider_id=sched.practice.users["other_clinician"], client_id=sched.other_client))
    # Outside working hours.
    with pytest.raises(BookingRefused, match="working hours"):
        desk.book(req(sched, datetime(2026, 3, 3, 18, 0)))
    # Right after the buffer is fine.
    desk.book(req(sched, TUE10 + timedelta(minutes=60), client_id=sched.other_client, room_id=sched.room2,
                  provider_id=sched.practice.users["clinician"]))


def test_admin_override_with_reason_is_audited_others_cannot(sched: Sched) -> None:
    svc(sched).book(req(sched))
    clash = req(sched, client_id=sched.other_client, room_id=sched.room2)
    with pytest.raises(PermissionDenied):
        svc(sched).book(req(sched, client_id=sched.other_client, room_id=sched.room2, override_reason="urgent"))
    item = svc(sched, "admin").book(BookingRequest(**{**clash.__dict__, "override_reason": "Crisis, seen together"}))
    with sched.practice.admin.store.read() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "booking_override"))
        assert entry is not None and entry.record_id == item.id and "Crisis" in entry.summary
        assert "already booked" in entry.summary


def test_daily_maximum_per_type(sched: Sched) -> None:
    desk = svc(sched)
    c3 = sched.practice.add_client(clinician="clinician", last="Chen", first="Li").id
    consent(sched.practice, c3, ConsentKind.INFORMED_CONSENT)
    desk.book(req(sched, datetime(2026, 3, 3, 9), type_id=sched.intake))
    desk.book(req(sched, datetime(2026, 3, 3, 11), type_id=sched.intake, client_id=sched.other_client))
    with pytest.raises(BookingRefused, match="daily maximum"):
        desk.book(req(sched, datetime(2026, 3, 3, 14), type_id=sched.intake, client_id=c3))


def test_booking_guards_refuse_with_reason_and_admin_overrides(sched: Sched) -> None:
    bare = sched.practice.add_client(clinician="clinician", last="Noconsent", first="Al").id
    with pytest.raises(BookingRefused, match="informed consent") as err:
        svc(sched).book(req(sched, client_id=bare))
    assert err.value.guards[0].rule == "informed_consent"
    minor = sched.practice.add_client(clinician="clinician", last="Young", first="Kid",
                                      dob=datetime(2015, 1, 1).date(), guardian_name="Pat Young")
    consent(sched.practice, minor.id, ConsentKind.INFORMED_CONSENT)
    with pytest.raises(BookingRefused, match="minor"):
        svc(sched).book(req(sched, client_id=minor.id))
    bare_tele = sched.practice.add_client(clinician="clinician", last="Video", first="Vi").id
    consent(sched.practice, bare_tele, ConsentKind.INFORMED_CONSENT)
    with pytest.raises(BookingRefused, match="telehealth consent"):
        svc(sched).book(req(sched, client_id=bare_tele, telehealth=True))
    item = svc(sched, "admin").book(req(sched, client_id=bare, override_reason="Consent signed on paper today"))
    assert item.id


def test_move_resize_and_drag_check(sched: Sched) -> None:
    desk = svc(sched)
    a = desk.book(req(sched))
    b = desk.book(req(sched, datetime(2026, 3, 3, 13), client_id=sched.other_client, room_id=sched.room2))
    check = desk.check(req(sched, datetime(2026, 3, 3, 13)), ignore_id=a.id)
    assert not check.ok and any("already booked" in m for m in check.messages)
    moved = desk.move(a.id, datetime(2026, 3, 3, 11))
    assert moved.start_local == datetime(2026, 3, 3, 11) and moved.end_local == datetime(2026, 3, 3, 11, 50)
    with pytest.raises(BookingRefused):
        desk.move(a.id, datetime(2026, 3, 3, 12, 30))
    assert desk.get(a.id).start_local == datetime(2026, 3, 3, 11)  # nothing half-saved
    longer = desk.resize(a.id, datetime(2026, 3, 3, 12, 0))
    assert longer.end_local == datetime(2026, 3, 3, 12, 0)
    with pytest.raises(ValidationError, match="ends before"):
        desk.resize(a.id, datetime(2026, 3, 3, 10, 0))
    with pytest.raises(BookingRefused):
        desk.resize(b.id, datetime(2026, 3, 3, 17, 30))  # past working hours
    with sched.practice.admin.store.read() as s:
        assert s.get(BusyBlock, a.id).end_at == longer.end_at  # type: ignore[union-attr]


def test_life_cycle_with_history_and_late_cancel(sched: Sched) -> None:
    desk = svc(sched)
    a = desk.book(req(sched))
    desk.confirm(a.id, via="sms")
    at_visit = svc(sched, now=lambda: NOW + timedelta(days=1))  # Tue Mar 3, 9:00 in New York
    at_visit.check_in(a.id)
    done = svc(sched, now=lambda: NOW + timedelta(days=1, hours=2)).complete(a.id)
    assert done.status == "completed" and done.checked_in_at is not None
    assert [h.status for h in desk.history(a.id)] == ["scheduled", "confirmed", "checked_in", "completed"]
    assert all(h.by_name == "Dana Desk" for h in desk.history(a.id))
    with pytest.raises(ValidationError, match="cannot become"):
        desk.cancel(a.id)
    # Cancelled the evening before: a late cancellation; the time is free again.
    b = desk.book(req(sched, datetime(2026, 3, 4, 10)))
    late = svc(sched, now=lambda: NOW + timedelta(days=1, hours=8)).cancel(b.id, reason="sick")
    assert late.late_cancel and late.status == "cancelled"
    c = desk.book(req(sched, datetime(2026, 3, 4, 10)))  # the freed slot books
    early = desk.cancel(c.id, reason="moving away")
    assert not early.late_cancel
    d = desk.book(req(sched, datetime(2026, 3, 5, 10)))
    assert svc(sched, now=lambda: NOW + timedelta(days=3, hours=2)).no_show(d.id).status == "no_show"


def test_outcomes_wait_for_the_visit(sched: Sched) -> None:
    """Next week's visit cannot be checked in, completed or marked a no-show (a slip at the desk would
    count a no-show that never happened); check-in opens two hours before, on the visit's day."""
    desk = svc(sched)
    a = desk.book(req(sched, datetime(2026, 3, 10, 10)))  # next Tuesday
    for act in (desk.check_in, desk.complete, desk.no_show):
        with pytest.raises(ValidationError, match="Tue Mar 10, 10:00 AM"):
            act(a.id)
    assert desk.get(a.id).status == "scheduled" and [h.status for h in desk.history(a.id)] == ["scheduled"]
    before = svc(sched, now=lambda: datetime(2026, 3, 10, 11, 59, tzinfo=UTC))  # 7:59 AM EDT that day
    with pytest.raises(ValidationError, match="checked in from 8:00 AM"):
        before.check_in(a.id)
    early = svc(sched, now=lambda: datetime(2026, 3, 10, 12, 0, tzinfo=UTC))  # 8:00 AM, two hours early
    with pytest.raises(ValidationError, match="once it has started"):
        early.no_show(a.id)
    assert early.check_in(a.id).status == "checked_in"
    with pytest.raises(ValidationError, match="once it has started"):
        early.complete(a.id)
    assert svc(sched, now=lambda: datetime(2026, 3, 10, 14, 0, tzinfo=UTC)).complete(a.id).status == "completed"

def test_for_client_lists_the_charts_appointments(sched: Sched) -> None:
    desk = svc(sched)
    a = desk.book(req(sched))
    b = desk.book(req(sched, datetime(2026, 3, 10, 10)))
    assert [i.id for i in desk.for_client(sched.client)] == [a.id, b.id]
    later = svc(sched, now=lambda: NOW + timedelta(days=3))
    assert [i.id for i in later.for_client(sched.client, upcoming_only=True)] == [b.id]
    with pytest.raises(PermissionDenied):
        svc(sched, "other_clinician").for_client(sched.client)


def test_reschedule_keeps_the_old_one_in_history(sched: Sched) -> None:
    desk = svc(sched)
    a = desk.book(req(sched))
    new = desk.reschedule(a.id, datetime(2026, 3, 3, 10, 0) + timedelta(days=1))
    old = desk.get(a.id)
    assert old.status == "rescheduled" and new.status == "scheduled" and new.client_id == sched.client
    # Rescheduling onto its own old time works (the old one frees it).
    again = desk.reschedule(new.id, TUE10)
    assert again.start_local == TUE10


def test_stale_scheduled_listed_for_the_front_desk(sched: Sched) -> None:
    desk = svc(sched)
    a = desk.book(req(sched))
    later = svc(sched, now=lambda: NOW + timedelta(days=2, hours=3))
    assert [i.id for i in later.stale()] == [a.id]
    later.complete(a.id)
    assert later.stale() == []


def test_clinician_sees_colleagues_only_as_busy(sched: Sched) -> None:
    desk = svc(sched)
    mine = desk.book(req(sched))
    theirs = desk.book(req(sched, provider_id=sched.practice.users["other_clinician"],
                           client_id=sched.other_client, room_id=sched.room2))
    clin = svc(sched, "clinician")
    items = {i.id: i for i in clin.calendar(TUE10.date(), TUE10.date())}
    assert items[mine.id].kind == "appointment" and items[mine.id].client_name == "Rivera, Ana"
    busy = items[theirs.id]
    assert busy.kind == "busy" and busy.client_id is None and busy.client_name == "" and busy.type_id is None
    with pytest.raises(PermissionDenied):
        clin.get(theirs.id)
    with pytest.raises(PermissionDenied):
        clin.cancel(theirs.id)
    # A clinician's refusal names no one outside their caseload.
    with pytest.raises(BookingRefused) as err:
        clin.book(req(sched, provider_id=sched.practice.users["other_clinician"], room_id=None))
    assert "Okafor" not in err.value.message and "busy" in err.value.message
    # The front desk sees both in full; billing reads but cannot write.
    assert {i.kind for i in desk.calendar(TUE10.date(), TUE10.date())} == {"appointment"}
    with pytest.raises(PermissionDenied):
        svc(sched, "billing").book(req(sched, datetime(2026, 3, 5, 10)))


def test_today_lists_in_time_order(sched: Sched) -> None:
    desk = svc(sched)
    on_day = lambda: datetime(2026, 3, 3, 13, 0, tzinfo=NOW.tzinfo)  # noqa: E731
    b = desk.book(req(sched, datetime(2026, 3, 3, 14)))
    a = desk.book(req(sched, datetime(2026, 3, 3, 9), provider_id=sched.practice.users["other_clinician"],
                      client_id=sched.other_client, room_id=sched.room2))
    assert [i.id for i in svc(sched, now=on_day).today()] == [a.id, b.id]
    assert [i.id for i in svc(sched, "clinician", now=on_day).today()] == [b.id]


def test_export_appointments_csv(sched: Sched, tmp_path: Path) -> None:
    desk = svc(sched)
    a = desk.book(req(sched))
    out = tmp_path / "appts.csv"
    assert desk.export_csv(TUE10.date(), TUE10.date(), out) == 1
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["id"] == a.id and rows[0]["client_id"] == sched.client
    assert rows[0]["provider"] == "Casey Clinician" and rows[0]["type"] == "Individual therapy"
    assert rows[0]["start"] == "2026-03-03T10:00" and rows[0]["status"] == "scheduled"
    assert list(rows[0]) == ["id", "client_id", "provider", "type", "start", "end", "status", "series_id", "group_id"]


def test_telehealth_has_link_no_room(sched: Sched) -> None:
    desk = svc(sched)
    a = desk.book(req(sched, telehealth=True, meeting_link="https://meet.example.org/abc"))
    assert a.telehealth and a.room_id is None and a.where == "Telehealth"
    with pytest.raises(ValidationError, match="https"):
        desk.set_meeting_link(a.id, "meet.example.org/x")
    with pytest.raises(ValidationError, match="cannot be a telehealth"):
        desk.book(req(sched, datetime(2026, 3, 4, 10), type_id=sched.intake, telehealth=True))
