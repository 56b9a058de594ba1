"""Times, conflicts (provider, client, room, buffers), availability and double-booking detection."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from mentalspace_desktop.domain.scheduling.availability import EVERY_DAY, Hours, windows_on, within_hours
from mentalspace_desktop.domain.scheduling.conflicts import (
    Block,
    Candidate,
    CollisionKind,
    double_bookings,
    find_collisions,
)
from mentalspace_desktop.domain.scheduling.status import Status, StatusError, check_transition, is_late_cancel, is_stale
from mentalspace_desktop.domain.scheduling.times import TimeError, check_duration, day_bounds_utc, to_local, to_utc, utc

TZ = "America/New_York"


def test_impossible_times_are_refused_with_reasons() -> None:
    start = utc(2026, 3, 10, 15)
    with pytest.raises(TimeError, match="ends before it starts"):
        check_duration(start, start - timedelta(minutes=5))
    with pytest.raises(TimeError, match="at least"):
        check_duration(start, start)
    with pytest.raises(TimeError, match="at most"):
        check_duration(start, start + timedelta(hours=24))
    check_duration(start, start + timedelta(minutes=50))


def test_wall_clock_and_utc_across_dst() -> None:
    # 10:00 in New York is 15:00 UTC in winter and 14:00 UTC in summer.
    assert to_utc(datetime(2026, 3, 6, 10), TZ) == utc(2026, 3, 6, 15)
    assert to_utc(datetime(2026, 3, 9, 10), TZ) == utc(2026, 3, 9, 14)
    assert to_local(utc(2026, 3, 9, 14), TZ) == datetime(2026, 3, 9, 10)
    lo, hi = day_bounds_utc(date(2026, 3, 8), TZ)  # the spring-forward day has 23 hours
    assert hi - lo == timedelta(hours=23)


def _appt(id_: str, start: datetime, minutes: int = 50, **kw: object) -> Block:
    return Block(id_, start, start + timedelta(minutes=minutes), **kw)  # type: ignore[arg-type]


def test_provider_client_and_room_collisions_say_with_what() -> None:
    t = utc(2026, 3, 10, 15)
    blocks = [
        _appt("p", t, provider_id="dr", label="Individual with Rivera"),
        _appt("c", t + timedelta(hours=2), client_id="ana", label="Intake"),
        _appt("r", t + timedelta(hours=4), room_id="room1", label="Room 1 group"),
    ]
    hit = find_collisions(Candidate(t + timedelta(minutes=30), t + timedelta(minutes=80), "dr"), blocks)
    assert [(c.kind, c.other_id) for c in hit] == [(CollisionKind.PROVIDER, "p")]
    assert "already booked" in hit[0].describe() and "Rivera" in hit[0].describe()
    hit = find_collisions(Candidate(t + timedelta(hours=2), t + timedelta(hours=3), "other", client_id="ana"), blocks)
    assert [c.kind for c in hit] == [CollisionKind.CLIENT]
    hit = find_collisions(Candidate(t + timedelta(hours=4), t + timedelta(hours=5), "other", room_id="room1"), blocks)
    assert [c.kind for c in hit] == [CollisionKind.ROOM]
    # Back to back is fine; the block being moved is ignored.
    assert find_collisions(Candidate(t + timedelta(minutes=50), t + timedelta(minutes=100), "dr"), blocks) == []
    assert find_collisions(Candidate(t, t + timedelta(minutes=50), "dr", ignore_ids=frozenset({"p"})), blocks) == []


def test_buffers_block_neighbouring_time_both_ways() -> None:
    t = utc(2026, 3, 10, 15)
    existing = [_appt("a", t, provider_id="dr", buffer_after=15)]
    # Starts 10 minutes after the visit: inside its 15-minute buffer.
    assert find_collisions(Candidate(t + timedelta(minutes=60), t + timedelta(minutes=110), "dr"), existing)
    assert not find_collisions(Candidate(t + timedelta(minutes=65), t + timedelta(minutes=115), "dr"), existing)
    # The new visit's own buffer before reaches back into the existing one.
    assert find_collisions(Candidate(t + timedelta(minutes=55), t + timedelta(minutes=105), "dr", buffer_before=10),
                           [_appt("b", t, provider_id="dr")])
    # Buffers are the provider's: a client or room is not blocked by them.
    assert not find_collisions(Candidate(t + timedelta(minutes=50), t + timedelta(hours=2), "x", client_id="c"),
                               [_appt("c1", t, client_id="c", buffer_after=30)])


def test_time_off_is_its_own_kind() -> None:
    t = utc(2026, 3, 10, 13)
    off = Block("off", t, t + timedelta(hours=8), provider_id="dr", kind="time_off", label="time off")
    hit = find_collisions(Candidate(t + timedelta(hours=2), t + timedelta(hours=3), "dr"), [off])
    assert [c.kind for c in hit] == [CollisionKind.TIME_OFF]


def test_double_bookings_found_in_pairs() -> None:
    t = utc(2026, 3, 10, 15)
    blocks = [
        _appt("a1", t, provider_id="dr", client_id="c1"),
        _appt("a2", t + timedelta(minutes=20), provider_id="dr", client_id="c2"),
        _appt("a3", t + timedelta(hours=3), provider_id="x", client_id="c3", room_id="r"),
        _appt("a4", t + timedelta(hours=3), provider_id="y", client_id="c3"),
        _appt("a5", t + timedelta(hours=6), provider_id="z", client_id="c9"),
    ]
    found = {(d.first_id, d.second_id, d.kind) for d in double_bookings(blocks)}
    assert found == {("a1", "a2", CollisionKind.PROVIDER), ("a3", "a4", CollisionKind.CLIENT)}


def test_availability_weekly_and_overrides() -> None:
    weekly = [Hours(1, time(9), time(12)), Hours(1, time(13), time(17)), Hours(3, time(12), time(20))]
    tue = date(2026, 3, 10)
    assert [(w.start.time(), w.end.time()) for w in windows_on(tue, weekly)] == [(time(9), time(12)),
                                                                                   (time(13), time(17))]
    assert within_hours(datetime(2026, 3, 10, 9), datetime(2026, 3, 10, 9, 50), weekly)
    assert not within_hours(datetime(2026, 3, 10, 11, 30), datetime(2026, 3, 10, 12, 20), weekly)  # over lunch
    assert not within_hours(datetime(2026, 3, 9, 10), datetime(2026, 3, 9, 11), weekly)  # Monday: not working
    away = [*weekly, Hours(EVERY_DAY, time(0), time(23, 59), valid_from=tue, valid_until=tue + timedelta(days=6),
                           is_override=True, available=False)]
    assert windows_on(tue, away) == []
    saturday = [*weekly, Hours(5, time(10), time(14), valid_from=date(2026, 3, 14), valid_until=date(2026, 3, 14),
                               is_override=True)]
    assert within_hours(datetime(2026, 3, 14, 10), datetime(2026, 3, 14, 11), saturday)
    assert within_hours(datetime(2026, 3, 9, 3), datetime(2026, 3, 9, 4), [])  # no hours on file: not restricted
    bounded = [Hours(1, time(9), time(17), valid_until=date(2026, 3, 1))]
    assert windows_on(tue, bounded) == []


def test_life_cycle_and_late_cancel_and_stale() -> None:
    check_transition(Status.SCHEDULED, Status.CONFIRMED)
    check_transition(Status.CONFIRMED, Status.CHECKED_IN)
    check_transition(Status.CHECKED_IN, Status.COMPLETED)
    with pytest.raises(StatusError, match="cannot become"):
        check_transition(Status.COMPLETED, Status.CANCELLED)
    with pytest.raises(StatusError):
        check_transition(Status.CANCELLED, Status.CHECKED_IN)
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)
    assert is_late_cancel(start, start - timedelta(hours=5))
    assert not is_late_cancel(start, start - timedelta(hours=30))
    assert is_stale(Status.SCHEDULED, start, start + timedelta(hours=25))
    assert not is_stale(Status.COMPLETED, start, start + timedelta(hours=25))
    assert not is_stale(Status.SCHEDULED, start, start + timedelta(hours=2))
