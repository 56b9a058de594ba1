"""Times show in the practice's zone, whatever zone the computer is set to."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mentalspace_desktop.gui.localtime import set_practice_zone, start_of_day, to_local


def test_a_utc_instant_shows_in_the_practice_zone_across_daylight_saving() -> None:
    set_practice_zone("America/New_York", remember=False)
    assert to_local(datetime(2026, 7, 1, 18, 30, tzinfo=UTC)).strftime("%H:%M") == "14:30"  # EDT
    assert to_local(datetime(2026, 12, 1, 19, 30, tzinfo=UTC)).strftime("%H:%M") == "14:30"  # EST
    assert start_of_day(date(2026, 12, 1)).astimezone(UTC) == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_an_unknown_zone_falls_back_to_the_computer() -> None:
    set_practice_zone("Mars/Olympus_Mons")
    moment = datetime(2026, 7, 1, 18, 30, tzinfo=UTC)
    assert to_local(moment) == moment.astimezone()
    set_practice_zone("America/New_York")


def test_one_format_per_kind_in_the_practice_zone() -> None:
    from mentalspace_desktop.gui.localtime import format_date, format_datetime, format_relative, format_time

    set_practice_zone("America/New_York", remember=False)
    moment = datetime(2026, 3, 4, 19, 5, tzinfo=UTC)  # 2:05 PM in New York
    assert format_date(date(1988, 3, 4)) == "03/04/1988"
    assert format_time(moment) == "2:05 PM"
    assert format_datetime(moment) == "03/04/2026 2:05 PM"
    assert format_relative(moment, now=datetime(2026, 3, 4, 23, 0, tzinfo=UTC)) == "Today 2:05 PM"
    assert format_relative(moment, now=datetime(2026, 3, 5, 15, 0, tzinfo=UTC)) == "Yesterday 2:05 PM"
    assert format_relative(moment, now=datetime(2026, 3, 9, 15, 0, tzinfo=UTC)) == "03/04/2026 2:05 PM"


def test_the_lockout_message_names_the_practice_time_not_the_computers() -> None:
    from mentalspace_desktop.errors import AccountLocked
    from mentalspace_desktop.gui.errors import error_text

    set_practice_zone("America/Los_Angeles", remember=False)
    locked = AccountLocked("locked until 19:20 (the computer's clock)", datetime(2026, 7, 1, 19, 20, tzinfo=UTC))
    assert "locked until 12:20 PM" in error_text(locked)
    set_practice_zone("America/New_York", remember=False)
