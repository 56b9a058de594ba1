"""Plain phrases for "find a slot", parsed offline: "Dr. Patel next Tuesday afternoon",
"any intake slot this week after 4pm", "tomorrow morning with Kim", "Dec 3 before 10am".

Words understood: provider names (last or first name, with or without "Dr."), appointment type
names, today / tomorrow / this week / next week / in N weeks, weekdays ("Tuesday" is the coming one,
"next Tuesday" the one in next calendar week), month-day dates, morning / afternoon / evening,
"after 4pm", "before 10", "between 1 and 3pm". Words it does not know are returned so the panel can
say what it ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta

_WEEKDAYS = {"monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
             "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
             "sat": 5, "sunday": 6, "sun": 6}
_MONTHS = {m: i + 1 for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct",
                                           "nov", "dec"))}
_FILLER = {"any", "a", "an", "slot", "slots", "with", "for", "on", "the", "in", "at", "appointment",
           "appointments", "session", "dr", "dr.", "doctor", "please", "find", "me", "free", "time", "open",
           "available", "of", "and", "or", "next", "this", "week", "weeks"}
_CLOCK = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"


@dataclass
class SlotPhrase:
    provider_ids: list[str] = field(default_factory=list)
    type_id: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    time_of_day: str | None = None
    after: time | None = None
    before: time | None = None
    ignored: list[str] = field(default_factory=list)
    dates_given: bool = False  # False: the phrase named no day, the next two weeks are searched

    @property
    def understood_nothing(self) -> bool:
        """No provider, type, day or time was recognised: searching would only guess."""
        return not (self.provider_ids or self.type_id or self.dates_given or self.time_of_day
                    or self.after or self.before)

    def describe(self) -> str:
        bits = []
        if self.date_from and self.date_to:
            bits.append(f"{self.date_from:%a %b %d}" if self.date_from == self.date_to
                        else f"{self.date_from:%b %d}–{self.date_to:%b %d}")
        if self.time_of_day:
            bits.append(self.time_of_day)
        if self.after:
            bits.append(f"after {_twelve(self.after)}")
        if self.before:
            bits.append(f"before {_twelve(self.before)}")
        return ", ".join(bits)


def _twelve(t: time) -> str:
    """"4:00 PM": how the front desk reads a time."""
    return f"{t.hour % 12 or 12}:{t.minute:02d} {'AM' if t.hour < 12 else 'PM'}"


def _clock(hh: str, mm: str | None, ampm: str | None, *, afternoon_default: bool) -> time | None:
    h, m = int(hh), int(mm or 0)
    if m > 59 or h > 23:
        return None
    suffix = (ampm or "").replace(".", "")
    if suffix == "pm" and h < 12:
        h += 12
    elif suffix == "am" and h == 12:
        h = 0
    elif not suffix and afternoon_default and 1 <= h <= 7:
        h += 12  # "after 4" at a practice means 4 pm
    return time(h, m)


def _week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def parse_phrase(
    text: str,
    *,
    today: date,
    providers: Mapping[str, str],
    types: Mapping[str, str],
) -> SlotPhrase:
    """What ``text`` asks for. ``providers`` and ``types`` map ids to display names."""
    out = SlotPhrase()
    s = " " + text.lower().strip() + " "
    # Times first (they contain digits that would read as dates).
    m = re.search(r"\bbetween\s+" + _CLOCK + r"\s+and\s+" + _CLOCK, s)
    if m:
        out.after = _clock(m.group(1), m.group(2), m.group(3) or m.group(6), afternoon_default=True)
        out.before = _clock(m.group(4), m.group(5), m.group(6), afternoon_default=True)
        s = s.replace(m.group(0), " ")
    for word, attr in (("after", "after"), ("before", "before"), ("from", "after"), ("until", "before")):
        m = re.search(rf"\b{word}\s+" + _CLOCK + r"(?=\W)", s)
        if m:
            setattr(out, attr, _clock(m.group(1), m.group(2), m.group(3), afternoon_default=True))
            s = s.replace(m.group(0), " ")
    m = re.search(r"\bat\s+" + _CLOCK + r"(?=\W)", s)
    if m:
        at = _clock(m.group(1), m.group(2), m.group(3), afternoon_default=True)
        if at is not None:
            out.after = at
            out.before = time(min(23, at.hour + 1), at.minute)
        s = s.replace(m.group(0), " ")
    for name in ("morning", "afternoon", "evening"):
        if re.search(rf"\b{name}s?\b", s):
            out.time_of_day = name
            s = re.sub(rf"\b{name}s?\b", " ", s)
    if re.search(r"\btonight\b", s):
        out.time_of_day, out.date_from, out.date_to = "evening", today, today
        s = s.replace("tonight", " ")
    # Dates.
    if re.search(r"\btoday\b", s):
        out.date_from = out.date_to = today
        s = re.sub(r"\btoday\b", " ", s)
    if re.search(r"\btomorrow\b", s):
        out.date_from = out.date_to = today + timedelta(days=1)
        s = re.sub(r"\btomorrow\b", " ", s)
    m = re.search(r"\bin\s+(\d{1,2})\s+weeks?\b", s)
    if m:
        lo, hi = _week_of(today + timedelta(weeks=int(m.group(1))))
        out.date_from, out.date_to = lo, hi
        s = s.replace(m.group(0), " ")
    if re.search(r"\bthis\s+week\b", s):
        out.date_from, out.date_to = today, _week_of(today)[1]
        s = re.sub(r"\bthis\s+week\b", " ", s)
    if re.search(r"\bnext\s+week\b", s):
        out.date_from, out.date_to = _week_of(today + timedelta(days=7))
        s = re.sub(r"\bnext\s+week\b", " ", s)
    m = re.search(r"\b(next|this|on)?\s*(" + "|".join(sorted(_WEEKDAYS, key=len, reverse=True)) + r")\b", s)
    if m:
        wd = _WEEKDAYS[m.group(2)]
        if m.group(1) == "next":
            monday = _week_of(today)[0] + timedelta(days=7)
            day = monday + timedelta(days=wd)
        else:
            day = today + timedelta(days=(wd - today.weekday()) % 7)
        out.date_from = out.date_to = day
        s = s.replace(m.group(0), " ")
    m = re.search(r"\b(" + "|".join(_MONTHS) + r")[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?\b", s) or re.search(
        r"\b(\d{1,2})/(\d{1,2})\b", s)
    if m:
        if m.group(1).isdigit():
            month, dom = int(m.group(1)), int(m.group(2))
        else:
            month, dom = _MONTHS[m.group(1)[:3]], int(m.group(2))
        try:
            day = date(today.year, month, dom)
            if day < today:
                day = date(today.year + 1, month, dom)
            out.date_from = out.date_to = day
            s = s.replace(m.group(0), " ")
        except ValueError:
            pass
    # Appointment types: the longest name (or a word of it) that appears.
    for type_id, name in sorted(types.items(), key=lambda kv: -len(kv[1])):
        key = name.lower()
        first = key.split()[0]
        if key in s:
            out.type_id = type_id
            s = s.replace(key, " ")
            break
        if len(first) >= 4 and re.search(rf"\b{re.escape(first)}\b", s):
            out.type_id = type_id
            s = re.sub(rf"\b{re.escape(first)}\b", " ", s)
            break
    # Providers: any word matching a last or first name.
    words = re.findall(r"[a-z][a-z'\-]+", s)
    used: set[str] = set()
    for pid, name in providers.items():
        parts = [p.strip(".,").lower() for p in name.split() if p.strip(".,").lower() not in ("dr", "dr.")]
        if any(w in parts for w in words if len(w) >= 3):
            out.provider_ids.append(pid)
            used.update(w for w in words if w in parts)
    out.ignored = [w for w in words if w not in used and w not in _FILLER]
    out.dates_given = out.date_from is not None
    if out.date_from is None:
        out.date_from, out.date_to = today, today + timedelta(days=13)
    return out
