"""Working hours: weekly hours per provider and location, with date-bounded overrides.

A weekly row applies on its weekday between ``valid_from`` and ``valid_until`` (either open). Override
rows replace the weekly hours on the days they cover: a day covered by any override takes its hours
from the overrides alone, so an override with ``available`` false and weekday ``EVERY_DAY`` over a
week is a week away, and one available override on a Saturday adds a Saturday clinic.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from mentalspace_desktop.domain.scheduling.times import clock

EVERY_DAY = -1


@dataclass(frozen=True)
class Hours:
    weekday: int  # 0 Monday … 6 Sunday, or EVERY_DAY (overrides)
    start: time
    end: time
    location_id: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    is_override: bool = False
    available: bool = True

    def covers(self, day: date) -> bool:
        if self.weekday != EVERY_DAY and self.weekday != day.weekday():
            return False
        if self.valid_from is not None and day < self.valid_from:
            return False
        return not (self.valid_until is not None and day > self.valid_until)


@dataclass(frozen=True)
class Window:
    """Local wall-clock working time on one day."""

    start: datetime
    end: datetime
    location_id: str | None


def windows_on(day: date, hours: Iterable[Hours]) -> list[Window]:
    """The provider's working windows on ``day`` (local, naive), merged where they touch."""
    rows = [h for h in hours if h.covers(day)]
    overrides = [h for h in rows if h.is_override]
    chosen = [h for h in overrides if h.available] if overrides else [h for h in rows if h.available]
    spans = sorted(
        (datetime.combine(day, h.start), datetime.combine(day, h.end), h.location_id) for h in chosen if h.end > h.start
    )
    merged: list[Window] = []
    for start, end, loc in spans:
        if merged and start <= merged[-1].end and merged[-1].location_id == loc:
            last = merged[-1]
            merged[-1] = Window(last.start, max(last.end, end), loc)
        else:
            merged.append(Window(start, end, loc))
    return merged


def within_hours(start_local: datetime, end_local: datetime, hours: Sequence[Hours],
                 location_id: str | None = None) -> bool:
    """Whether the visit lies inside one working window of its day — at ``location_id`` when the visit
    is at an office (a window without a location is anywhere). A provider with no hours at all on
    file is not restricted: availability is opt-in per provider."""
    if not hours:
        return True
    if end_local.date() != start_local.date() and end_local != datetime.combine(start_local.date() + timedelta(days=1),
                                                                                time()):
        return False
    return any(w.start <= start_local and end_local <= w.end
               and (location_id is None or w.location_id is None or w.location_id == location_id)
               for w in windows_on(start_local.date(), hours))


def describe_windows(windows: Sequence[Window], places: Mapping[str, str] | None = None) -> str:
    """"9:00 AM–5:00 PM", with "at Midtown office" when ``places`` (location id → name) is given."""
    if not windows:
        return "not working that day"
    where = places or {}
    return ", ".join(f"{clock(w.start)}–{clock(w.end)}"
                     + (f" at {where[w.location_id]}" if w.location_id is not None and w.location_id in where else "")
                     for w in windows)
