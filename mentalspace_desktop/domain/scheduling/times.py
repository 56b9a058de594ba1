"""Instants and wall-clock times of appointments, and what makes a time impossible.

Appointments are booked in the practice's wall-clock time and kept as UTC instants too; conversion
goes through ``zoneinfo`` so a 10:00 session is 10:00 on both sides of a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_MINUTES = 5
MAX_MINUTES = 12 * 60  # longer than a working day is a typing mistake (an hour's 0 too many, a wrong date)


class TimeError(ValueError):
    """A time that cannot be booked; the message says why, for the person at the desk."""


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeError(f"Unknown time zone: {name!r}.") from None



def clock(moment: datetime | time) -> str:
    """A wall-clock time as the practice reads it: "2:30 PM" (US practices; the screens format
    through ``gui/localtime.py``, the services' messages through this)."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def day_and_clock(moment: datetime) -> str:
    """A wall-clock day and time in messages: "Tue Mar 10, 2:30 PM"."""
    return f"{moment:%a %b} {moment.day}, {clock(moment)}"


def span(start: datetime, end: datetime) -> str:
    """"Tue Mar 10, 10:00 AM–10:50 AM" (the end's day is said only when it differs)."""
    tail = clock(end) if end.date() == start.date() else day_and_clock(end)
    return f"{day_and_clock(start)}–{tail}"

def to_utc(local: datetime, tz: str) -> datetime:
    """The UTC instant of a naive wall-clock time in ``tz`` (a time skipped by DST moves forward)."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    aware = local.replace(tzinfo=zone(tz))
    # A wall time in the spring-forward gap does not exist: zoneinfo reads it with the old offset,
    # which lands one hour later on the clock — the session starts when the clock shows that time.
    return aware.astimezone(UTC)


def to_local(instant: datetime, tz: str) -> datetime:
    """The naive wall-clock time of a UTC instant in ``tz``."""
    return instant.astimezone(zone(tz)).replace(tzinfo=None)


def day_bounds_utc(day: date, tz: str) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight at the start and end of ``day`` (23 or 25 hours on DST days)."""
    return to_utc(datetime.combine(day, time()), tz), to_utc(datetime.combine(day + timedelta(days=1), time()), tz)


def check_duration(start: datetime, end: datetime) -> None:
    """Raise :class:`TimeError` for an impossible appointment time: end before start, 0 minutes, a day."""
    if start.tzinfo is None or end.tzinfo is None:
        raise TimeError("Times must carry their time zone.")
    if end < start:
        raise TimeError("The appointment ends before it starts.")
    minutes = (end - start).total_seconds() / 60
    if minutes < MIN_MINUTES:
        raise TimeError(f"An appointment lasts at least {MIN_MINUTES} minutes.")
    if minutes > MAX_MINUTES:
        raise TimeError(f"An appointment lasts at most {MAX_MINUTES // 60} hours; check the end time and date.")


@dataclass(frozen=True)
class Interval:
    """A half-open span of UTC instants [start, end)."""

    start: datetime
    end: datetime

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def padded(self, before_minutes: int, after_minutes: int) -> Interval:
        return Interval(self.start - timedelta(minutes=before_minutes), self.end + timedelta(minutes=after_minutes))

    @property
    def minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


def parse_hhmm(text: str) -> time:
    """``"09:30"`` as a time; TimeError otherwise."""
    try:
        hh, mm = text.strip().split(":")
        return time(int(hh), int(mm))
    except (ValueError, AttributeError):
        raise TimeError(f"{text!r} is not a time of day (HH:MM).") from None


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A UTC instant; shorthand for tests and demo data."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)
