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
    """Free slots for ``query`` ranked best first (at most ``query.limit``)."""
    found: list[Slot] = []
    order = {pid: i for i, pid in enumerate(query.provider_ids)}
    lo_hi = TIMES_OF_DAY.get(query.time_of_day or "")
    step = timedelta(minutes=query.step_minutes)
    length = timedelta(minutes=query.minutes)
    for pid in query.provider_ids:
        spans = _Busy(busy.get(pid, ()))
        day = query.date_from
        while day <= query.date_to:
            if query.weekdays and day.weekday() not in query.weekdays:
                day += timedelta(days=1)
                continue
            for w in windows_on(day, hours.get(pid, ())):
                t = w.start
                if t.minute % query.step_minutes:
                    t += timedelta(minutes=query.step_minutes - t.minute % query.step_minutes)
                while t + length <= w.end:
                    ok = True
                    if lo_hi and not lo_hi[0] <= t.hour < lo_hi[1]:
                        ok = False
                    if query.after is not None and t.time() < query.after:
                        ok = False
                    if query.before is not None and (t + length).time() > query.before and (t + length).date() == day:
                        ok = False
                    if ok:
                        s_utc, e_utc = to_utc(t, tz), to_utc(t + length, tz)
                        if s_utc > now and spans.clear(s_utc, e_utc, query.buffer_before, query.buffer_after):
                            found.append(_rank(pid, t, t + length, s_utc, e_utc, w.location_id, query, order,
                                               spans))
                    t += step
            day += timedelta(days=1)
    found.sort(key=lambda s: (-s.score, s.start_utc, order.get(s.provider_id, 0)))
    return found[: query.limit]


def _rank(pid: str, start: datetime, end: datetime, s_utc: datetime, e_utc: datetime, location: str | None,
          query: SlotQuery, order: Mapping[str, int], spans: _Busy) -> Slot:
    days_out = (start.date() - query.date_from).days
    score = 100.0 - 3.0 * days_out - 2.0 * order.get(pid, 0)
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
    return Slot(pid, start, end, s_utc, e_utc, location, round(score, 1), tuple(reasons))
