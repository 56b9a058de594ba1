"""Recurring series: RFC 5545 RRULEs expanded through ``dateutil.rrule``, in wall-clock time.

Rules are expanded from a naive local start and each occurrence is then placed in the practice's
time zone, so a weekly 10:00 stays at 10:00 when daylight saving begins or ends. Expansion always
happens inside a window: a series without COUNT or UNTIL never expands without bound.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from dateutil.rrule import DAILY, FR, MO, MONTHLY, SA, SU, TH, TU, WE, WEEKLY, YEARLY, rrule, rrulestr

from mentalspace_desktop.domain.scheduling.times import to_local, to_utc

MAX_OCCURRENCES = 400  # one expansion; a weekly series over the longest window is 53
MAX_WINDOW_DAYS = 2 * 366
_DAYS = (MO, TU, WE, TH, FR, SA, SU)
_ALLOWED_FREQ = {DAILY, WEEKLY, MONTHLY, YEARLY}


class RecurrenceError(ValueError):
    """A rule that cannot be used; the message says why."""


class Pattern(StrEnum):
    WEEKLY = "weekly"  # every N weeks on the start's weekday (or given weekdays)
    MONTHLY_BY_DATE = "monthly_by_date"  # the 14th of every N months
    MONTHLY_BY_WEEKDAY = "monthly_by_weekday"  # the second Tuesday of every N months


def make_rule(
    pattern: Pattern,
    start_local: datetime,
    *,
    interval: int = 1,
    count: int | None = None,
    until: date | None = None,
    weekdays: Iterable[int] = (),
) -> str:
    """The RRULE text (without the ``RRULE:`` prefix) for a pattern the booking form offers."""
    if interval < 1 or interval > 52:
        raise RecurrenceError("Repeat every 1 to 52 weeks or months.")
    if count is not None and until is not None:
        raise RecurrenceError("Give either a number of sessions or an end date, not both.")
    if count is not None and not 1 <= count <= MAX_OCCURRENCES:
        raise RecurrenceError(f"A series has 1 to {MAX_OCCURRENCES} sessions.")
    if until is not None and until < start_local.date():
        raise RecurrenceError("The series ends before it starts.")
    parts: list[str] = []
    if pattern is Pattern.WEEKLY:
        days = sorted(set(weekdays)) or [start_local.weekday()]
        parts = ["FREQ=WEEKLY", f"BYDAY={','.join(str(_DAYS[d]) for d in days)}"]
    elif pattern is Pattern.MONTHLY_BY_DATE:
        parts = ["FREQ=MONTHLY", f"BYMONTHDAY={start_local.day}"]
    else:
        nth = (start_local.day - 1) // 7 + 1
        which = -1 if nth == 5 else nth  # a fifth Tuesday is "the last Tuesday"
        parts = ["FREQ=MONTHLY", f"BYDAY={which}{_DAYS[start_local.weekday()]}"]
    if interval > 1:
        parts.append(f"INTERVAL={interval}")
    if count is not None:
        parts.append(f"COUNT={count}")
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    return ";".join(parts)


def parse_rule(text: str, start_local: datetime) -> rrule:
    """The rule as a dateutil ``rrule`` anchored at ``start_local``; RecurrenceError when malformed."""
    body = (text or "").strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if not body:
        raise RecurrenceError("The repeat rule is empty.")
    if "\n" in body or "DTSTART" in body.upper():
        raise RecurrenceError("Give one RRULE line; the start comes from the first appointment.")
    try:
        rule = rrulestr(body, dtstart=start_local.replace(tzinfo=None))
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise RecurrenceError(f"The repeat rule {text!r} is not valid: {exc}.") from None
    if not isinstance(rule, rrule):
        raise RecurrenceError("Give one RRULE line.")
    if rule._freq not in _ALLOWED_FREQ:
        raise RecurrenceError("Appointments repeat daily, weekly, monthly or yearly, not by the hour or minute.")
    if rule._until is not None and rule._until.tzinfo is not None:
        rule = rule.replace(until=rule._until.replace(tzinfo=None))
    return rule


def is_bounded(rule: rrule) -> bool:
    """Whether the rule ends by itself (COUNT or UNTIL)."""
    return rule._count is not None or rule._until is not None


@dataclass(frozen=True)
class Occurrence:
    occurrence_date: date  # the date the rule gives (the series' key for this occurrence)
    start_local: datetime
    end_local: datetime
    start_utc: datetime
    end_utc: datetime


def expand(
    text: str,
    start_local: datetime,
    minutes: int,
    tz: str,
    *,
    window_start: date,
    window_end: date,
    exdates: Iterable[date] = (),
) -> list[Occurrence]:
    """Occurrences whose date lies in [window_start, window_end], minus ``exdates``, in wall-clock time.

    The window is required and capped (:data:`MAX_WINDOW_DAYS`), so a series without end never
    expands without bound.
    """
    if window_end < window_start:
        raise RecurrenceError("The window ends before it starts.")
    if (window_end - window_start).days > MAX_WINDOW_DAYS:
        raise RecurrenceError("Expand a series at most two years at a time.")
    rule = parse_rule(text, start_local)
    skip = set(exdates)
    lo = datetime.combine(window_start, time())
    hi = datetime.combine(window_end, time(23, 59, 59))
    out: list[Occurrence] = []
    for local in rule.xafter(max(lo, start_local) - timedelta(seconds=1), count=MAX_OCCURRENCES + 1):
        if local > hi:
            break
        if local < lo or local.date() in skip:
            continue
        start_utc = to_utc(local, tz)
        end_utc = start_utc + timedelta(minutes=minutes)  # real time: a daylight-saving night adds or eats no hour
        out.append(Occurrence(local.date(), local, to_local(end_utc, tz), start_utc, end_utc))
        if len(out) > MAX_OCCURRENCES:
            raise RecurrenceError(f"The series has more than {MAX_OCCURRENCES} sessions in that window.")
    return out


def truncate_before(text: str, start_local: datetime, last_day: date) -> str:
    """The rule ended on ``last_day`` ("this and following" splits a series there)."""
    rule = parse_rule(text, start_local)
    if rule._count is not None:
        kept = sum(1 for d in rule if d.date() <= last_day)
        parts = [p for p in text.split(";") if not p.upper().startswith(("COUNT=", "UNTIL=", "RRULE:COUNT"))]
        return ";".join([*parts, f"COUNT={max(kept, 1)}"])
    parts = [p for p in text.split(";") if not p.upper().startswith("UNTIL=")]
    return ";".join([*parts, f"UNTIL={last_day:%Y%m%d}T235959"])


def shift_rule(text: str, start_local: datetime, shift_days: int) -> str:
    """The rule after its sessions moved ``shift_days`` days, ``start_local`` being the new start: the
    weekdays a weekly rule names move by as many days, and a monthly date or weekday follows the new
    start (otherwise sessions booked ahead later would fall back on the old day)."""
    if shift_days == 0:
        return text
    rule = parse_rule(text, start_local)
    parts = text.removeprefix("RRULE:").split(";")
    names = [p.split("=", 1)[0].upper() for p in parts]
    if rule._freq == WEEKLY and "BYDAY" in names:
        days = sorted({(d + shift_days) % 7 for d in rule._byweekday or ()})
        value = f"BYDAY={','.join(str(_DAYS[d]) for d in days)}"
        return ";".join(value if n == "BYDAY" else p for p, n in zip(parts, names, strict=True))
    if rule._freq == MONTHLY and "BYMONTHDAY" in names:
        return ";".join(f"BYMONTHDAY={start_local.day}" if n == "BYMONTHDAY" else p
                        for p, n in zip(parts, names, strict=True))
    if rule._freq == MONTHLY and "BYDAY" in names and rule._bynweekday:
        last = rule._bynweekday[0][1] == -1
        nth = (start_local.day - 1) // 7 + 1
        which = -1 if last or nth == 5 else nth
        value = f"BYDAY={which}{_DAYS[start_local.weekday()]}"
        return ";".join(value if n == "BYDAY" else p for p, n in zip(parts, names, strict=True))
    return text


def describe(text: str, start_local: datetime) -> str:
    """The rule in words: "every 2 weeks on Tuesday, 10 sessions"."""
    rule = parse_rule(text, start_local)
    n = rule._interval
    unit = {WEEKLY: "week", MONTHLY: "month", DAILY: "day", YEARLY: "year"}[rule._freq]
    head = f"every {unit}" if n == 1 else f"every {n} {unit}s"
    names = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    if rule._freq == WEEKLY and rule._byweekday:
        head += " on " + ", ".join(names[d] for d in sorted(rule._byweekday))
    elif rule._freq == MONTHLY and rule._bynweekday:
        d, nth = rule._bynweekday[0]
        ordinal = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}.get(nth, f"#{nth}")
        head += f" on the {ordinal} {names[d]}"
    elif rule._freq == MONTHLY and rule._bymonthday:
        head += f" on day {rule._bymonthday[0]}"
    if rule._count is not None:
        head += f", {rule._count} sessions"
    elif rule._until is not None:
        head += f", until {rule._until:%b %d, %Y}"
    else:
        head += ", no end date"
    return head

