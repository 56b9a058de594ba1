"""The calendar's fast read (``CalendarReadService.calendar``: Core rows, permissions decided once per
clinician, each stored instant parsed once, records made without the constructor's per-field cost)
returns what the inherited read (``AppointmentService.calendar``: ORM objects, one question per
appointment) returns — the same blocks in the same order, every field set, the same no-show risk."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from mentalspace_desktop.domain.records import fields_of
from mentalspace_desktop.services.calendar_view import WORDED, CalendarReadService
from mentalspace_desktop.services.scheduling.appointments import AppointmentService, BookingRequest, CalendarItem
from mentalspace_desktop.services.scheduling.availability import AvailabilityService
from tests.factories import PracticeFixture
from tests.services.scheduling_fixtures import NOW, Sched, build, clock

LATER = NOW + timedelta(days=7)  # Monday 9 March, 10:00 in New York: last week is history


def later() -> datetime:
    return LATER


@pytest.fixture
def sched(practice: PracticeFixture) -> Sched:
    return build(practice)


def _book(desk: AppointmentService, sched: Sched, client: str, provider: str, start: datetime,
          **kw: object) -> str:
    return desk.book(BookingRequest(provider_id=sched.practice.users[provider], type_id=sched.individual,
                                    start_local=start, client_id=client, **kw)).id  # type: ignore[arg-type]


def _history_and_week(sched: Sched) -> None:
    """Last week's outcomes (completed, no-show, late cancellation) and this week's visits."""
    desk = AppointmentService(sched.session("front_desk"), now=clock)
    mine, theirs = sched.client, sched.other_client
    done = _book(desk, sched, mine, "clinician", datetime(2026, 3, 3, 9))
    missed = _book(desk, sched, mine, "clinician", datetime(2026, 3, 4, 9))
    late = _book(desk, sched, mine, "clinician", datetime(2026, 3, 5, 9))
    other_done = _book(desk, sched, theirs, "other_clinician", datetime(2026, 3, 3, 11))
    after = AppointmentService(sched.session("front_desk"), now=lambda: datetime(2026, 3, 5, 2, tzinfo=UTC))
    after.complete(done)
    after.no_show(missed)
    after.complete(other_done)
    after.cancel(late, reason="sick")  # the evening before: late
    now = AppointmentService(sched.session("front_desk"), now=later)
    a = _book(now, sched, mine, "clinician", datetime(2026, 3, 10, 9))
    now.confirm(a, via="sms")
    _book(now, sched, mine, "clinician", datetime(2026, 3, 11, 16), telehealth=True)
    _book(now, sched, theirs, "other_clinician", datetime(2026, 3, 10, 13), room_id=sched.room2)
    cancelled = _book(now, sched, theirs, "other_clinician", datetime(2026, 3, 12, 10))
    now.cancel(cancelled, reason="moving")
    admin = AvailabilityService(sched.practice.admin, now=later)
    off = admin.request_time_off(sched.practice.users["supervisor"], datetime(2026, 3, 12, 0),
                                 datetime(2026, 3, 13, 0), reason="conference")
    admin.decide_time_off(off, approve=True)


@pytest.mark.parametrize("who", ["front_desk", "clinician"])
def test_the_fast_read_returns_what_the_inherited_read_returns(sched: Sched, who: str) -> None:
    _history_and_week(sched)
    session = sched.session(who)
    first, last = date(2026, 3, 9), date(2026, 3, 15)
    fast = CalendarReadService(session, now=later).calendar(first, last)
    slow = AppointmentService(session, now=later).calendar(first, last)
    assert [i.id for i in fast] == [i.id for i in slow]
    assert {i.kind for i in fast} >= {"appointment", "time_off"}
    every = fields_of(CalendarItem) - {"risk"}
    for f, s in zip(fast, slow, strict=True):
        assert set(vars(f)) == fields_of(CalendarItem)  # every field set, none left to the class default
        assert {n: getattr(f, n) for n in every} == {n: getattr(s, n) for n in every}
        assert (f.risk is None) == (s.risk is None)
        if f.risk is not None and s.risk is not None:
            assert (f.risk.score, f.risk.level) == (s.risk.score, s.risk.level)
            if f.risk.score >= WORDED:
                assert f.risk.factors == s.risk.factors
    risky = [i for i in fast if i.risk is not None and i.client_id == sched.client]
    assert risky and all(i.risk is not None and i.risk.score > 0 for i in risky)


def test_a_day_with_nothing_booked_reads_empty(sched: Sched) -> None:
    desk = CalendarReadService(sched.session("front_desk"), now=clock)
    assert desk.calendar(date(2026, 3, 7), date(2026, 3, 8)) == []
