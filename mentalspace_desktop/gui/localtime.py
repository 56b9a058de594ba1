"""Showing instants in the practice's time zone (a practice setting), not the computer's.

Instants are stored in UTC; a laptop set to another zone, or a server-style machine on UTC, must
still show 2:30 PM for a 2:30 PM session in Atlanta. The main window sets the zone at sign-in.
"""

from __future__ import annotations

from datetime import date, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_zone: tzinfo | None = None


def set_practice_zone(name: str) -> None:
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _zone = None  # an unknown zone name: fall back to the computer's zone


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(_zone) if _zone is not None else moment.astimezone()


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in the practice's zone, as an aware instant."""
    naive = datetime.combine(day, time())
    return naive.replace(tzinfo=_zone) if _zone is not None else naive.astimezone()


def wall_now() -> datetime:
    """The practice's wall-clock time now, naive (what the calendar's grid and Today compare with)."""
    from datetime import UTC

    return to_local(datetime.now(UTC)).replace(tzinfo=None)


def wall_today() -> date:
    return wall_now().date()
