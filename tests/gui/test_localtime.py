"""Times show in the practice's zone, whatever zone the computer is set to."""

from __future__ import annotations

from datetime import UTC, date, datetime

from mentalspace_desktop.gui.localtime import set_practice_zone, start_of_day, to_local


def test_a_utc_instant_shows_in_the_practice_zone_across_daylight_saving() -> None:
    set_practice_zone("America/New_York")
    assert to_local(datetime(2026, 7, 1, 18, 30, tzinfo=UTC)).strftime("%H:%M") == "14:30"  # EDT
    assert to_local(datetime(2026, 12, 1, 19, 30, tzinfo=UTC)).strftime("%H:%M") == "14:30"  # EST
    assert start_of_day(date(2026, 12, 1)).astimezone(UTC) == datetime(2026, 12, 1, 5, tzinfo=UTC)


def test_an_unknown_zone_falls_back_to_the_computer() -> None:
    set_practice_zone("Mars/Olympus_Mons")
    moment = datetime(2026, 7, 1, 18, 30, tzinfo=UTC)
    assert to_local(moment) == moment.astimezone()
    set_practice_zone("America/New_York")
