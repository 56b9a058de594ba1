"""Where appointments go on the calendar: columns, lanes for overlaps, times to rows — no Qt, no I/O.

The calendar widget only paints what this module computes, so the placement rules (which column a
block belongs to, how overlapping blocks share it, where a time falls, what a keyboard cursor
means) are tested here without a screen. Times are *wall times* in the practice's zone (naive
``datetime``): the screen shows the clinic's day, and a day that changes to summer time still runs
08:00–18:00 on the grid.

Views:

- ``DAY``: one column for one day (the providers chosen by the filter share it, in lanes);
- ``WEEK``: one column per day of the week starting on the given Monday (or 5 for a work week);
- ``PROVIDERS``: one column per provider for one day, side by side;
- ``ROOMS``: one column per room for one day;
- ``MONTH``: a grid of weeks (see :func:`month_grid` and :func:`month_cells`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from operator import attrgetter
from typing import NamedTuple, Protocol


class CalendarView(StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    PROVIDERS = "providers"
    ROOMS = "rooms"


class Span(NamedTuple):
    """One thing to place: an appointment, a busy block or time off. Times are naive wall times.

    A named tuple (as :class:`Placed`): a week makes 1,200 of each on every reload, and a tuple is
    made in a fraction of a frozen dataclass's time and is one object for the collector, not two.
    """

    id: str
    start: datetime
    end: datetime
    provider_id: str = ""
    room_id: str = ""

    def overlaps(self, start: datetime, end: datetime) -> bool:
        return self.start < end and start < self.end


class Spanned(Protocol):
    """Anything placed like a :class:`Span` — a span, or the calendar's entry itself (placing a
    week's 1,200 entries without making a span of each)."""

    @property
    def id(self) -> str: ...
    @property
    def start(self) -> datetime: ...
    @property
    def end(self) -> datetime: ...
    @property
    def provider_id(self) -> str: ...
    @property
    def room_id(self) -> str: ...


@dataclass(frozen=True)
class Column:
    """A column of the time grid: a day, a provider on a day, or a room on a day."""

    key: str
    label: str
    day: date
    provider_id: str = ""
    room_id: str = ""


class Placed(NamedTuple):
    """Where a span is drawn: its column, its lane among the spans it overlaps, and its minutes."""

    span: Spanned
    column: int
    lane: int
    lanes: int
    start_minute: float
    """Minutes after the grid's first hour on that column's day (clipped to the grid)."""
    end_minute: float
    clipped_before: bool = False
    clipped_after: bool = False


@dataclass(frozen=True)
class TimeScale:
    """The visible hours of a day and the size of a slot (the step of clicks, drags and the cursor)."""

    first_hour: int = 7
    last_hour: int = 20
    slot_minutes: int = 15

    def __post_init__(self) -> None:
        if not 0 <= self.first_hour < self.last_hour <= 24:
            raise ValueError("the calendar's first hour must come before its last")
        if self.slot_minutes <= 0 or 60 % self.slot_minutes:
            raise ValueError("a slot must divide an hour evenly")

    @property
    def minutes(self) -> int:
        return (self.last_hour - self.first_hour) * 60

    @property
    def slots(self) -> int:
        return self.minutes // self.slot_minutes

    def minute_of(self, moment: datetime, day: date) -> float:
        """Minutes after the first hour of ``day`` (negative before, beyond :attr:`minutes` after)."""
        origin = datetime.combine(day, time(self.first_hour))
        return (moment - origin).total_seconds() / 60

    def at_minute(self, day: date, minute: float) -> datetime:
        return datetime.combine(day, time(self.first_hour)) + timedelta(minutes=minute)

    def slot_of(self, moment: datetime, day: date) -> int:
        """The slot that holds ``moment`` (clamped to the grid)."""
        return max(0, min(self.slots - 1, int(self.minute_of(moment, day) // self.slot_minutes)))

    def slot_start(self, day: date, slot: int) -> datetime:
        return self.at_minute(day, slot * self.slot_minutes)

    def snap(self, minute: float) -> int:
        """The nearest slot boundary, in minutes, kept on the grid."""
        step = self.slot_minutes
        return int(max(0, min(self.minutes, round(minute / step) * step)))

    def hour_labels(self) -> list[tuple[int, str]]:
        """(minute, "9 AM") for each hour line."""
        out = []
        for hour in range(self.first_hour, self.last_hour):
            suffix = "AM" if hour < 12 else "PM"
            shown = hour % 12 or 12
            out.append(((hour - self.first_hour) * 60, f"{shown} {suffix}"))
        return out


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def columns_for(
    view: CalendarView,
    day: date,
    *,
    providers: Sequence[tuple[str, str]] = (),
    rooms: Sequence[tuple[str, str]] = (),
    days_in_week: int = 7,
) -> list[Column]:
    """The grid's columns for a time-grid view. ``providers``/``rooms`` are (id, name) in display order."""
    if view is CalendarView.DAY:
        return [Column(day.isoformat(), f"{day:%A} {day.day} {day:%B}", day)]
    if view is CalendarView.WEEK:
        monday = week_start(day)
        return [
            Column(d.isoformat(), f"{d:%a} {d.day} {d:%b}", d)
            for d in (monday + timedelta(days=i) for i in range(days_in_week))
        ]
    if view is CalendarView.PROVIDERS:
        return [Column(pid, name, day, provider_id=pid) for pid, name in providers]
    if view is CalendarView.ROOMS:
        return [Column(rid, name, day, room_id=rid) for rid, name in rooms]
    raise ValueError("the month view has no time columns; use month_grid")


def column_of(span: Span, columns: Sequence[Column], view: CalendarView) -> list[int]:
    """The columns a span shows in (a span crossing midnight shows on both days in a week)."""
    out = []
    for i, col in enumerate(columns):
        if view is CalendarView.PROVIDERS and span.provider_id != col.provider_id:
            continue
        if view is CalendarView.ROOMS and span.room_id != col.room_id:
            continue
        day_start = datetime.combine(col.day, time())
        if span.overlaps(day_start, day_start + timedelta(days=1)):
            out.append(i)
    return out


def assign_lanes(spans: Sequence[Spanned]) -> dict[str, tuple[int, int]]:
    """Lane and lane count for each span, so overlapping spans sit side by side.

    Spans that overlap, directly or through a chain, form a cluster; every span of a cluster gets
    the cluster's lane count so their widths agree, and each takes the lowest lane free at its start
    (the way a paper diary is filled in). Order: start, then longer first, then id (stable).
    O(n log n): the lanes in use wait in a heap by their end, the freed ones in a heap by number.
    """
    return {span.id: (lane, lanes) for span, lane, lanes in _lanes_in_order(spans)}


_ID, _START, _END = attrgetter("id"), attrgetter("start"), attrgetter("end")


def _lanes_in_order(spans: Sequence[Spanned]) -> list[tuple[Spanned, int, int]]:
    """(span, lane, lanes) in the order :func:`assign_lanes` fills them: by start, longer first, id.

    Spans starting together take increasing lanes in this order (each the lowest free one, or a new
    one above all), so the list is already in reading order (start, lane) unless clipping to the
    grid makes different starts equal.
    """
    ordered = sorted(spans, key=_ID)  # three stable sorts by one field: no key tuple made per span
    ordered.sort(key=_END, reverse=True)  # longer first among equal starts (reverse keeps stability)
    ordered.sort(key=_START)
    result: list[tuple[Spanned, int, int]] = []
    cluster: list[tuple[Spanned, int]] = []
    busy: list[tuple[datetime, int]] = []  # (end, lane) of the lanes taken
    free: list[int] = []  # lanes of this cluster whose span has ended
    lanes = 0
    cluster_end: datetime | None = None
    for span in ordered:
        start = span.start
        if cluster_end is not None and start >= cluster_end:
            result += [(member, lane, lanes) for member, lane in cluster]
            cluster, busy, free, lanes = [], [], [], 0
            cluster_end = None
        while busy and busy[0][0] <= start:
            heapq.heappush(free, heapq.heappop(busy)[1])
        if free:
            lane = heapq.heappop(free)
        else:
            lane, lanes = lanes, lanes + 1
        heapq.heappush(busy, (span.end, lane))
        cluster.append((span, lane))
        if cluster_end is None or span.end > cluster_end:
            cluster_end = span.end
    result += [(member, lane, lanes) for member, lane in cluster]
    return result


def layout(
    spans: Iterable[Spanned], columns: Sequence[Column], view: CalendarView, scale: TimeScale
) -> list[Placed]:
    """Every span placed on the grid: column, lane, and minutes clipped to the visible hours, in
    reading order (column, start, lane).

    A span wholly outside the visible hours of its column still gets a sliver at the edge (marked
    clipped) so an early or late appointment is never invisible.
    """
    per_column: dict[int, list[Spanned]] = {}
    by_key: dict[tuple[date, str], int] = {}
    for i, col in enumerate(columns):  # (day, provider or room) → column: one look-up per span and day
        by_key[(col.day, col.provider_id if view is CalendarView.PROVIDERS else
                col.room_id if view is CalendarView.ROOMS else "")] = i
    providers, rooms = view is CalendarView.PROVIDERS, view is CalendarView.ROOMS
    one_day = timedelta(days=1)
    homes: dict[tuple[datetime, datetime, str], list[list[Spanned]]] = {}
    """(start, end, provider or room) → the member lists of the columns such a span shows in: a week's
    1,200 visits have a few hundred such keys, each worked out once"""
    for span in spans:
        start, end = span.start, span.end
        who = span.provider_id if providers else span.room_id if rooms else ""
        lists = homes.get((start, end, who))
        if lists is None:
            lists = homes[(start, end, who)] = []
            day = start.date()
            last = day if end <= start or end.date() == day else (end - _TICK).date()  # ends at 0:00: the day before
            while end > start and day <= last:
                c = by_key.get((day, who))
                if c is not None:
                    lists.append(per_column.setdefault(c, []))
                day += one_day
        for members in lists:
            members.append(span)
    placed: list[Placed] = []
    total, half_slot = float(scale.minutes), scale.slot_minutes / 2
    last_start = total - half_slot
    minute = timedelta(minutes=1)
    for c, members in sorted(per_column.items()):
        origin = datetime.combine(columns[c].day, time(scale.first_hour))  # scale.minute_of, once per column
        minutes: dict[datetime, float] = {}  # a column's visits start and end at a dozen or so times
        first = len(placed)
        reordered = False
        for span, lane, count in _lanes_in_order(members):
            start_m = minutes.get(span.start)
            if start_m is None:
                start_m = minutes[span.start] = (span.start - origin) / minute
            end_m = minutes.get(span.end)
            if end_m is None:
                end_m = minutes[span.end] = (span.end - origin) / minute
            before, after = start_m < 0, end_m > total
            # clipped to the grid, at least half a slot tall (min and max, spelled out: 1,200 a week)
            start_m = 0.0 if before else start_m
            if start_m > last_start:
                start_m, reordered = last_start, True
            reordered = reordered or before
            end_m = total if after else end_m
            end_m = start_m + half_slot if end_m < start_m + half_slot else end_m
            placed.append(_new(Placed, (span, c, lane, count, start_m, end_m, before, after)))
        if reordered:  # clipping made different starts equal: (start, lane) order again
            placed[first:] = sorted(placed[first:], key=_reading_order)
    return placed


_TICK = timedelta(microseconds=1)
_new = tuple.__new__
"""Makes a named tuple from its values without the generated constructor's Python frame (a week
places 1,200: it is a third of what placing one costs)."""


def _reading_order(p: Placed) -> tuple[int, float, int]:
    return p.column, p.start_minute, p.lane


# -- keyboard cursor ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """The keyboard's place on a time grid: a column and a slot."""

    column: int = 0
    slot: int = 0

    def moved(self, d_column: int, d_slot: int, *, columns: int, slots: int) -> Cursor:
        return Cursor(
            max(0, min(columns - 1, self.column + d_column)), max(0, min(slots - 1, self.slot + d_slot))
        )


def placed_at(
    placed: Sequence[Placed], column: int, minute: float, x_fraction: float | None = None
) -> Placed | None:
    """The block under a point of a column. ``x_fraction`` (0–1 across the column) picks the lane;
    without it (the keyboard cursor has no x) the earliest-starting block there wins."""
    hits = [p for p in placed if p.column == column and p.start_minute <= minute < p.end_minute]
    if x_fraction is not None:
        hits = [p for p in hits if p.lane / p.lanes <= x_fraction < (p.lane + 1) / p.lanes]
    return hits[0] if hits else None


def next_block(placed: Sequence[Placed], current: str | None, step: int) -> Placed | None:
    """The block after (step=1) or before (step=-1) ``current`` in reading order, for Tab-like moves."""
    if not placed:
        return None
    ids = [p.span.id for p in placed]
    if current not in ids:
        return placed[0] if step > 0 else placed[-1]
    i = ids.index(current) + step
    return placed[i] if 0 <= i < len(placed) else None


# -- month --------------------------------------------------------------------------------------


def month_grid(day: date) -> list[list[date]]:
    """The weeks (Monday first) that show ``day``'s month: 4 to 6 rows of 7 days."""
    first = day.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    start = week_start(first)
    weeks = []
    while start < nxt:
        weeks.append([start + timedelta(days=i) for i in range(7)])
        start += timedelta(days=7)
    return weeks


@dataclass
class MonthCell:
    day: date
    in_month: bool
    spans: list[Span] = field(default_factory=list)

    def shown(self, room: int) -> tuple[list[Span], int]:
        """The spans that fit in ``room`` lines and how many more there are ("+3 more")."""
        if len(self.spans) <= room:
            return list(self.spans), 0
        keep = max(0, room - 1)
        return self.spans[:keep], len(self.spans) - keep


def month_cells(day: date, spans: Iterable[Span]) -> list[list[MonthCell]]:
    """The month grid with each day's spans in time order."""
    weeks = month_grid(day)
    cells = {d: MonthCell(d, d.month == day.month) for week in weeks for d in week}
    for span in spans:
        d = span.start.date()
        last = (span.end - timedelta(microseconds=1)).date()
        while d <= last:
            if d in cells:
                cells[d].spans.append(span)
            d += timedelta(days=1)
    for cell in cells.values():
        cell.spans.sort(key=lambda s: (s.start, s.id))
    return [[cells[d] for d in week] for week in weeks]


def visible_range(view: CalendarView, day: date, *, days_in_week: int = 7) -> tuple[datetime, datetime]:
    """The wall-time range a view shows, for the query that fills it."""
    if view is CalendarView.WEEK:
        first = week_start(day)
        return datetime.combine(first, time()), datetime.combine(first + timedelta(days=days_in_week), time())
    if view is CalendarView.MONTH:
        weeks = month_grid(day)
        return datetime.combine(weeks[0][0], time()), datetime.combine(weeks[-1][-1] + timedelta(days=1), time())
    return datetime.combine(day, time()), datetime.combine(day + timedelta(days=1), time())


def step_range(view: CalendarView, day: date, steps: int) -> date:
    """The day shown after moving ``steps`` pages forward (negative: back)."""
    if view is CalendarView.WEEK:
        return day + timedelta(days=7 * steps)
    if view is CalendarView.MONTH:
        month = day.month - 1 + steps
        year = day.year + month // 12
        return date(year, month % 12 + 1, 1)
    return day + timedelta(days=steps)
