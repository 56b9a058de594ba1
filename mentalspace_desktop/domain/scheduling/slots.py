"""Finding free time: candidate slots inside working hours, clear of busy time and buffers, ranked.

Ranking prefers, in this order of weight: earlier days, slots next to existing visits (a compact day
leaves no one-hour holes), the preferred provider order, and round start times.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from mentalspace_desktop.domain.scheduling.availability import Hours, windows_on
from mentalspace_desktop.domain.scheduling.conflicts import Block
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.domain.scheduling.waitlist import TIMES_OF_DAY


@dataclass(frozen=True)
class SlotQuery:
    provider_ids: tuple[str, ...]
    minutes: int
    date_from: date
    date_to: date
    buffer_before: int = 0
    buffer_after: int = 0
    time_of_day: str | None = None  # morning, afternoon, evening
    after: time | None = None
    before: time | None = None
    weekdays: frozenset[int] = frozenset()
    step_minutes: int = 15
    limit: int = 20
    rank_from: date | None = None  # the day scores count from (a search done in chunks: the first day)


@dataclass(frozen=True)
class Slot:
    provider_id: str
    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime
    location_id: str | None
    score: float
    reasons: tuple[str, ...] = field(default=())


class _Busy:
    """One provider's busy spans (buffers applied), sorted, for quick overlap checks."""

    def __init__(self, blocks: Sequence[Block]) -> None:
        spans = sorted(
            (b.start - timedelta(minutes=b.buffer_before), b.end + timedelta(minutes=b.buffer_after), b.start, b.end)
            for b in blocks
        )
        self.starts = [s[0] for s in spans]
        self.spans = spans
        self.max_len = max((s[1] - s[0] for s in spans), default=timedelta(0))

    def clear(self, start: datetime, end: datetime, before: int, after: int) -> bool:
        padded_start, padded_end = start - timedelta(minutes=before), end + timedelta(minutes=after)
        i = bisect.bisect_left(self.starts, padded_start - self.max_len)
        while i < len(self.spans) and self.spans[i][0] < padded_end:
            s_pad, e_pad, s, e = self.spans[i]
            if (s_pad < end and start < e_pad) or (s < padded_end and padded_start < e):
                return False
            i += 1
        return True

    def touches(self, start: datetime, end: datetime, slack: timedelta) -> bool:
        i = bisect.bisect_left(self.starts, start - self.max_len - slack)
        while i < len(self.spans) and self.spans[i][0] <= end + slack:
            _, _, s, e = self.spans[i]
            if abs(s - end) <= slack or abs(start - e) <= slack:
                return True
            i += 1
        return False


def find_slots(
    query: SlotQuery,
    *,
    tz: str,
    hours: Mapping[str, Sequence[Hours]],
    busy: Mapping[str, Sequence[Block]],
    now: datetime,
) -> list[Slot]:
    """Free slots for ``query`` ranked best first (at most ``query.limit``).

    Days are walked in order for every provider at once, and the walk stops as soon as no later day
    could outrank the slots already found (a day later costs more than any bonus gives), so a search
    over months costs about as much as one over the first days that have room.
    """
    found: list[Slot] = []
    order = {pid: i for i, pid in enumerate(query.provider_ids)}
    spans = {pid: _Busy(busy.get(pid, ())) for pid in query.provider_ids}
    lo_hi = TIMES_OF_DAY.get(query.time_of_day or "")
    step = timedelta(minutes=query.step_minutes)
    length = timedelta(minutes=query.minutes)
    day = query.date_from
    while day <= query.date_to:
        if not query.weekdays or day.weekday() in query.weekdays:
            for pid in query.provider_ids:
                for w in windows_on(day, hours.get(pid, ())):
                    _scan_window(pid, day, w.start, w.end, w.location_id, query, tz, now, step, length, lo_hi,
                                 spans[pid], order, found)
        day += timedelta(days=1)
        if len(found) >= query.limit and enough(query, found, day):
            break
    found.sort(key=lambda s: (-s.score, s.start_utc, order.get(s.provider_id, 0)))
    return found[: query.limit]


DAY_COST = 3.0
MAX_BONUS = 5.0  # next to another visit (+4) and on the hour (+1)


def best_possible(query: SlotQuery, day: date) -> float:
    """The highest score any slot on ``day`` (or later) can have."""
    return 100.0 - DAY_COST * (day - (query.rank_from or query.date_from)).days + MAX_BONUS


def enough(query: SlotQuery, found: Sequence[Slot], next_day: date) -> bool:
    """Whether ``found`` already holds ``limit`` slots no slot from ``next_day`` on could outrank."""
    best_later = best_possible(query, next_day)
    return sum(1 for sl in found if sl.score >= best_later) >= query.limit


def _scan_window(pid: str, day: date, start: datetime, end: datetime, location: str | None, query: SlotQuery,
                 tz: str, now: datetime, step: timedelta, length: timedelta, lo_hi: tuple[int, int] | None,
                 spans: _Busy, order: Mapping[str, int], found: list[Slot]) -> None:
    t = start
    if t.minute % query.step_minutes:
        t += timedelta(minutes=query.step_minutes - t.minute % query.step_minutes)
    # One UTC offset for the whole window unless a DST change falls inside it (then per slot).
    first_utc, last_utc = to_utc(start, tz), to_utc(end, tz)
    steady = (first_utc - start.replace(tzinfo=first_utc.tzinfo)) == (last_utc - end.replace(tzinfo=last_utc.tzinfo))
    offset = first_utc.replace(tzinfo=None) - start
    while t + length <= end:
        ok = not (lo_hi and not lo_hi[0] <= t.hour < lo_hi[1])
        if ok and query.after is not None and t.time() < query.after:
            ok = False
        if ok and query.before is not None and (t + length).time() > query.before and (t + length).date() == day:
            ok = False
        if ok:
            if steady:
                s_utc = (t + offset).replace(tzinfo=first_utc.tzinfo)
                e_utc = s_utc + length
            else:
                s_utc, e_utc = to_utc(t, tz), to_utc(t + length, tz)
            if s_utc > now and spans.clear(s_utc, e_utc, query.buffer_before, query.buffer_after):
                found.append(_rank(pid, t, t + length, s_utc, e_utc, location, query, order, spans))
        t += step


def _rank(pid: str, start: datetime, end: datetime, s_utc: datetime, e_utc: datetime, location: str | None,
          query: SlotQuery, order: Mapping[str, int], spans: _Busy) -> Slot:
    days_out = (start.date() - (query.rank_from or query.date_from)).days
    score = 100.0 - DAY_COST * days_out - 0.01 * order.get(pid, 0)
    reasons = []
    slack = timedelta(minutes=max(query.buffer_before, query.buffer_after) + 10)
    if spans.touches(s_utc, e_utc, slack):
        score += 4
        reasons.append("next to another visit")
    if start.minute == 0:
        score += 1
        reasons.append("on the hour")
    if days_out == 0:
        reasons.append("soonest day")
    return Slot(pid, start, end, s_utc, e_utc, location, round(score, 2), tuple(reasons))
