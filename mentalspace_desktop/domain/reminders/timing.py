"""When a reminder goes: offsets before the appointment, quiet hours in the client's time zone, and
daylight-saving changes.

An offset of whole days ("2 days before") keeps the wall-clock time in the client's zone: a 10:00
appointment on the Monday after the clocks change is reminded at 10:00 on the Saturday, not at 09:00
or 11:00. Any other offset ("2 hours before") is elapsed time. A reminder that falls in quiet hours
waits for their end; when that end leaves less than :data:`MIN_NOTICE` before the appointment the
reminder is skipped (a text at 08:00 about a 08:30 visit helps no one and is sent at an hour the
client asked us to stay silent near).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MIN_NOTICE = timedelta(hours=1)
"""A reminder moved out of quiet hours must still arrive at least this long before the appointment."""

DAY_MINUTES = 24 * 60


class TimingError(ValueError):
    """A rule's timing cannot work; the message says why, for the administrator."""


@dataclass(frozen=True)
class QuietHours:
    """No message between ``start`` and ``end`` (client's wall clock); may span midnight (21:00–08:00)."""

    start: time
    end: time

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise TimingError("Quiet hours must start and end at different times.")

    def contains(self, wall: time) -> bool:
        if self.start < self.end:
            return self.start <= wall < self.end
        return wall >= self.start or wall < self.end

    def describe(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


@dataclass(frozen=True)
class Due:
    """When to send; ``moved`` when quiet hours pushed it later."""

    at: datetime
    moved: bool = False


@dataclass(frozen=True)
class Skipped:
    """Not sent at all, and why (shown in the preview and the reminder history)."""

    reason: str


def tz(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimingError(f"Unknown time zone: {name!r}.") from None


def _wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A naive wall time in ``zone`` as UTC; a time skipped by spring-forward reads as the time after it."""
    # In the gap zoneinfo reads the wall time with the old offset, which lands just after the gap;
    # in the repeated hour (fold 0) it takes the first of the two instants.
    return wall.replace(tzinfo=zone).astimezone(UTC)


def check_offset(minutes: int) -> None:
    if minutes < 15:
        raise TimingError("A reminder goes at least 15 minutes before the appointment.")
    if minutes > 14 * DAY_MINUTES:
        raise TimingError("A reminder goes at most 14 days before the appointment.")


def nominal_time(start_at: datetime, offset_minutes: int, client_zone: str) -> datetime:
    """The instant ``offset_minutes`` before ``start_at``: by the client's wall clock for whole days."""
    if start_at.tzinfo is None:
        raise TimingError("The appointment's start must carry its time zone.")
    if offset_minutes % DAY_MINUTES == 0:
        zone = tz(client_zone)
        wall = start_at.astimezone(zone).replace(tzinfo=None) - timedelta(minutes=offset_minutes)
        return _wall_to_utc(wall, zone)
    return start_at.astimezone(UTC) - timedelta(minutes=offset_minutes)


def due_time(
    start_at: datetime, offset_minutes: int, client_zone: str, quiet: QuietHours | None
) -> Due | Skipped:
    """When the reminder ``offset_minutes`` before ``start_at`` goes, or why it does not."""
    at = nominal_time(start_at, offset_minutes, client_zone)
    if quiet is None:
        return Due(at)
    zone = tz(client_zone)
    local = at.astimezone(zone)
    if not quiet.contains(local.time().replace(tzinfo=None)):
        return Due(at)
    end_day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        end_day = end_day + timedelta(days=1)  # 22:30 in 21:00–08:00: the quiet ends tomorrow
    moved = _wall_to_utc(datetime.combine(end_day, quiet.end), zone)
    if moved > start_at - MIN_NOTICE:
        return Skipped(
            f"Due at {local:%H:%M}, in quiet hours ({quiet.describe()}); after they end there is less than "
            f"{int(MIN_NOTICE.total_seconds() // 60)} minutes' notice left"
        )
    return Due(moved, moved=True)


def describe_offset(minutes: int) -> str:
    """"2 days", "2 hours", "90 minutes": how the rules screen and history name an offset."""
    if minutes % DAY_MINUTES == 0:
        days = minutes // DAY_MINUTES
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"
