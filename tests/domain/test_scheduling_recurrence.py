"""Recurrence through dateutil.rrule: patterns, counts and ends, DST, windows, malformed rules."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from mentalspace_desktop.domain.scheduling.recurrence import (
    Pattern,
    RecurrenceError,
    describe,
    expand,
    is_bounded,
    make_rule,
    parse_rule,
    shift_rule,
    truncate_before,
)
from mentalspace_desktop.domain.scheduling.times import utc

TZ = "America/New_York"
START = datetime(2026, 2, 24, 10, 0)  # a Tuesday, before the March DST change


def test_weekly_keeps_wall_clock_time_across_dst() -> None:
    rule = make_rule(Pattern.WEEKLY, START, count=4)
    occ = expand(rule, START, 50, TZ, window_start=date(2026, 2, 1), window_end=date(2026, 4, 1))
    assert [o.start_local.hour for o in occ] == [10, 10, 10, 10]
    assert [o.start_utc for o in occ] == [utc(2026, 2, 24, 15), utc(2026, 3, 3, 15), utc(2026, 3, 10, 14),
                                          utc(2026, 3, 17, 14)]
    # And back in November.
    fall = datetime(2026, 10, 27, 10)
    occ = expand(make_rule(Pattern.WEEKLY, fall, count=2), fall, 50, TZ, window_start=date(2026, 10, 1),
                 window_end=date(2026, 12, 1))
    assert [o.start_utc.hour for o in occ] == [14, 15]


def test_every_n_weeks_until_date() -> None:
    rule = make_rule(Pattern.WEEKLY, START, interval=2, until=date(2026, 4, 7))
    occ = expand(rule, START, 50, TZ, window_start=START.date(), window_end=date(2026, 12, 31))
    assert [o.occurrence_date for o in occ] == [date(2026, 2, 24), date(2026, 3, 10), date(2026, 3, 24),
                                                date(2026, 4, 7)]
    assert describe(rule, START).startswith("every 2 weeks on Tuesday, until")


def test_monthly_by_date_and_by_weekday() -> None:
    by_date = make_rule(Pattern.MONTHLY_BY_DATE, START, count=3)
    occ = expand(by_date, START, 50, TZ, window_start=START.date(), window_end=date(2026, 12, 31))
    assert [o.occurrence_date for o in occ] == [date(2026, 2, 24), date(2026, 3, 24), date(2026, 4, 24)]
    by_weekday = make_rule(Pattern.MONTHLY_BY_WEEKDAY, START, count=3)  # the fourth Tuesday
    occ = expand(by_weekday, START, 50, TZ, window_start=START.date(), window_end=date(2026, 12, 31))
    assert [o.occurrence_date for o in occ] == [date(2026, 2, 24), date(2026, 3, 24), date(2026, 4, 28)]
    assert "fourth Tuesday" in describe(by_weekday, START)


def test_series_without_end_expands_only_inside_the_window() -> None:
    rule = "FREQ=WEEKLY"
    assert not is_bounded(parse_rule(rule, START))
    occ = expand(rule, START, 50, TZ, window_start=date(2026, 3, 1), window_end=date(2026, 3, 31))
    assert len(occ) == 5
    with pytest.raises(RecurrenceError, match="two years"):
        expand(rule, START, 50, TZ, window_start=date(2026, 1, 1), window_end=date(2030, 1, 1))
    with pytest.raises(RecurrenceError, match="more than"):
        expand("FREQ=DAILY", START, 50, TZ, window_start=date(2026, 1, 1), window_end=date(2027, 12, 1))


def test_exdates_skip_occurrences() -> None:
    occ = expand("FREQ=WEEKLY;COUNT=3", START, 50, TZ, window_start=START.date(), window_end=date(2026, 12, 31),
                 exdates=[date(2026, 3, 3)])
    assert [o.occurrence_date for o in occ] == [date(2026, 2, 24), date(2026, 3, 10)]


@pytest.mark.parametrize("bad", ["", "FREQ=SOMETIMES", "FREQ=WEEKLY;COUNT=x", "FREQ=HOURLY", "BYDAY=ZZ",
                                 "DTSTART:20260101T000000\nRRULE:FREQ=DAILY", "FREQ=WEEKLY;BYDAY=XX"])
def test_malformed_rules_are_refused_clearly(bad: str) -> None:
    with pytest.raises(RecurrenceError):
        expand(bad, START, 50, TZ, window_start=START.date(), window_end=START.date() + timedelta(days=30))


def test_make_rule_refuses_nonsense() -> None:
    with pytest.raises(RecurrenceError):
        make_rule(Pattern.WEEKLY, START, count=3, until=date(2026, 5, 1))
    with pytest.raises(RecurrenceError):
        make_rule(Pattern.WEEKLY, START, until=date(2026, 1, 1))
    with pytest.raises(RecurrenceError):
        make_rule(Pattern.WEEKLY, START, interval=0)


def test_truncate_before_ends_a_series() -> None:
    assert truncate_before("FREQ=WEEKLY;COUNT=10", START, date(2026, 3, 9)).endswith("COUNT=2")
    assert "UNTIL=20260309T235959" in truncate_before("FREQ=WEEKLY", START, date(2026, 3, 9))


def test_shift_rule_moves_the_named_days_with_the_sessions() -> None:
    wed = datetime(2026, 3, 18, 10)  # the third Wednesday, a day after the third Tuesday
    assert shift_rule("FREQ=WEEKLY;BYDAY=MO,TU;COUNT=8", wed, 1) == "FREQ=WEEKLY;BYDAY=TU,WE;COUNT=8"
    assert shift_rule("FREQ=WEEKLY;BYDAY=MO", wed, -1) == "FREQ=WEEKLY;BYDAY=SU"
    assert shift_rule("FREQ=MONTHLY;BYMONTHDAY=17", wed, 1) == "FREQ=MONTHLY;BYMONTHDAY=18"
    assert shift_rule("FREQ=MONTHLY;BYDAY=3TU", wed, 1) == "FREQ=MONTHLY;BYDAY=3WE"
    assert shift_rule("FREQ=MONTHLY;BYDAY=-1TU", wed, 1) == "FREQ=MONTHLY;BYDAY=-1WE"
    assert shift_rule("FREQ=WEEKLY;BYDAY=TU", wed, 0) == "FREQ=WEEKLY;BYDAY=TU"
