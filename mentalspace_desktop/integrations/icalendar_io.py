"""iCalendar files (RFC 5545): export an appointment or a provider's masked feed; import busy time.

Export writes instants in UTC (every calendar reads them), a stable UID per appointment so a
re-exported feed updates instead of duplicating, and in the feed nothing about the client: every
event is "Session". Import reads files from Google, Outlook/Exchange (Windows time-zone names such as
"Eastern Standard Time" or "(UTC-05:00) Eastern Time (US & Canada)") and Apple: recurring events are
expanded through ``dateutil`` inside a window, with EXDATEs and moved occurrences (RECURRENCE-ID);
free (TRANSPARENT) and cancelled events are skipped; all-day events are whole days in the practice's
zone. A file that cannot be read raises :class:`IcsError` with the reason; an event that cannot be
read is skipped and named in ``warnings``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from dateutil.rrule import rruleset, rrulestr
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

PRODID = "-//MentalSpace//Desktop Scheduling//EN"
MAX_PER_EVENT = 2000  # occurrences of one recurring event inside the window
MAX_BYTES = 20 * 1024 * 1024

# Outlook's display names ("(UTC-05:00) Eastern Time (US & Canada)"): the part after the offset.
WINDOWS_DISPLAY_NAMES = {
    "eastern time (us & canada)": "America/New_York",
    "central time (us & canada)": "America/Chicago",
    "mountain time (us & canada)": "America/Denver",
    "pacific time (us & canada)": "America/Los_Angeles",
    "alaska": "America/Anchorage",
    "hawaii": "Pacific/Honolulu",
    "arizona": "America/Phoenix",
    "atlantic time (canada)": "America/Halifax",
    "indiana (east)": "America/Indiana/Indianapolis",
    "canberra, melbourne, sydney": "Australia/Sydney",
    "brisbane": "Australia/Brisbane",
    "amsterdam, berlin, bern, rome, stockholm, vienna": "Europe/Berlin",
    "brussels, copenhagen, madrid, paris": "Europe/Paris",
    "dublin, edinburgh, lisbon, london": "Europe/London",
    "greenwich mean time : dublin, edinburgh, lisbon, london": "Europe/London",
    "bangkok, hanoi, jakarta": "Asia/Bangkok",
    "osaka, sapporo, tokyo": "Asia/Tokyo",
    "beijing, chongqing, hong kong, urumqi": "Asia/Shanghai",
    "helsinki, kyiv, riga, sofia, tallinn, vilnius": "Europe/Helsinki",
    "chennai, kolkata, mumbai, new delhi": "Asia/Kolkata",
}
_OFFSET = re.compile(r"(?:UTC|GMT)\s*([+-])\s*(\d{1,2}):?(\d{2})?", re.IGNORECASE)


class IcsError(ValueError):
    """A calendar file that cannot be read; the message says why."""


# -- export ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IcsEvent:
    uid: str
    start: datetime  # aware
    end: datetime
    summary: str
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False
    private: bool = False


def vevent(e: IcsEvent, stamp: datetime, zone: tzinfo = UTC) -> icalendar.Event:
    """``e`` as a VEVENT, its times in ``zone`` (UTC for feeds; an invitation's own zone, with a
    VTIMEZONE added to the calendar, for e-mailed invitations)."""
    if e.end <= e.start:
        raise IcsError(f"Event {e.uid} ends before it starts.")
    ev = icalendar.Event()
    ev.add("uid", e.uid)
    ev.add("dtstamp", stamp.astimezone(UTC))
    ev.add("dtstart", e.start.astimezone(zone))
    ev.add("dtend", e.end.astimezone(zone))
    ev.add("summary", e.summary)
    if e.location:
        ev.add("location", e.location)
    if e.description:
        ev.add("description", e.description)
    if e.url:
        ev.add("url", e.url)
    ev.add("status", "CANCELLED" if e.cancelled else "CONFIRMED")
    ev.add("transp", "TRANSPARENT" if e.cancelled else "OPAQUE")
    if e.private:
        ev.add("class", "PRIVATE")
    return ev


def calendar_bytes(events: Iterable[IcsEvent], *, name: str, stamp: datetime | None = None,
                   publish: bool = True) -> bytes:
    """A VCALENDAR holding ``events``; ``name`` is what subscribing calendars show (X-WR-CALNAME)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if publish:
        cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    now = stamp or datetime.now(UTC)
    for e in events:
        cal.add_component(vevent(e, now))
    return bytes(cal.to_ical())


def masked(e: IcsEvent, label: str = "Session") -> IcsEvent:
    """The event as a feed shows it: times and "Session", nothing about who or what."""
    return IcsEvent(e.uid, e.start, e.end, label, "", "", "", e.cancelled, True)


# -- import ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusyTime:
    uid: str  # the event's UID and the occurrence's start: stable across re-imports
    start: datetime  # UTC
    end: datetime
    all_day: bool
    summary: str


@dataclass
class ImportResult:
    busy: list[BusyTime] = field(default_factory=list)
    skipped: int = 0  # free, cancelled, outside the window, zero-length
    warnings: list[str] = field(default_factory=list)
    events: set[str] = field(default_factory=set)  # the UID of every event in the file, skipped ones too


def resolve_tz(tzid: str | None, default: str) -> tzinfo:
    """A zone for a TZID as calendars write it: IANA, Windows ("Eastern Standard Time"), Outlook's
    display names, or a bare "(UTC-05:00)" / "GMT +0100" offset. Unknown or absent: the practice's zone."""
    if not tzid:
        return ZoneInfo(default)
    name = tzid.strip().strip('"')
    for candidate in (name, WINDOWS_TO_OLSON.get(name)):
        if candidate:
            try:
                return ZoneInfo(candidate)
            except (ZoneInfoNotFoundError, ValueError):
                pass
    words = re.sub(r"^\((?:UTC|GMT)[^)]*\)\s*", "", name).lower().replace(" and ", " & ")
    if words in WINDOWS_DISPLAY_NAMES:
        return ZoneInfo(WINDOWS_DISPLAY_NAMES[words])
    m = _OFFSET.search(name)
    if m:
        minutes = int(m.group(2)) * 60 + int(m.group(3) or 0)
        return timezone(timedelta(minutes=minutes if m.group(1) == "+" else -minutes))
    return ZoneInfo(default)


def _aware(prop: Any, default: str) -> datetime | date:
    """A DTSTART/DTEND/RECURRENCE-ID value: aware datetime, or a date for all-day values."""
    value = prop.dt
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=resolve_tz(prop.params.get("TZID"), default))
        return value
    if isinstance(value, date):
        return value
    raise IcsError(f"not a date or time: {value!r}")


def _day_start(d: date, tz: str) -> datetime:
    return datetime.combine(d, time()).replace(tzinfo=ZoneInfo(tz))


def _as_utc_span(start: datetime | date, end: datetime | date, tz: str) -> tuple[datetime, datetime, bool]:
    if isinstance(start, datetime):
        e = end if isinstance(end, datetime) else _day_start(end, tz)
        return start.astimezone(UTC), e.astimezone(UTC), False
    e_day = end if isinstance(end, date) and not isinstance(end, datetime) else start + timedelta(days=1)
    return _day_start(start, tz).astimezone(UTC), _day_start(e_day, tz).astimezone(UTC), True


def _key(value: datetime | date) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ") if isinstance(value, datetime) else value.isoformat()


def _list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _recurs(ev: Any) -> list[dict[str, Any]]:
    """The event's RRULEs as dicts; a rule written with stray spaces ("BYDAY=MO, TU") is repaired."""
    out = []
    for recur in _list(ev.get("RRULE")):
        if isinstance(recur, icalendar.vRecur):
            out.append(dict(recur))
            continue
        text = re.sub(r"\s+", "", str(recur)).replace("\\", "")
        try:
            out.append(dict(icalendar.vRecur.from_ical(text)))
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise IcsError(f"its repeat rule {str(recur)[:60]!r} is not valid ({exc})") from None
    return out


def _date_values(prop: Any, default: str) -> list[datetime | date]:
    """EXDATE/RDATE values, aware where they carry a time; tolerant of broken ones ("20131210Z", "")."""
    params = getattr(prop, "params", None)
    tzid = params.get("TZID") if params is not None else None
    raw: list[Any]
    if not isinstance(prop, str):
        raw = [d.dt for d in prop.dts]
    else:  # a value icalendar could not read, kept as text
        raw = []
        for token in str(prop).split(","):
            digits = re.sub(r"[^0-9T]", "", token)
            try:
                raw.append(datetime.strptime(digits, "%Y%m%dT%H%M%S") if "T" in digits
                           else datetime.strptime(digits[:8], "%Y%m%d").date())
            except ValueError:
                continue
    out: list[datetime | date] = []
    for v in raw:
        if isinstance(v, tuple):  # a PERIOD: its start
            v = v[0]
        if isinstance(v, datetime) and v.tzinfo is None:
            v = v.replace(tzinfo=resolve_tz(tzid, default))
        if isinstance(v, datetime | date):
            out.append(v)
    return out


def _naive_in(v: datetime | date, tz: tzinfo | None) -> datetime:
    if not isinstance(v, datetime):
        return datetime.combine(v, time())
    if tz is not None and v.tzinfo is not None:
        return v.astimezone(tz).replace(tzinfo=None)
    return v.replace(tzinfo=None)


def _occurrence_starts(ev: Any, start: datetime | date, default: str, lo: datetime, hi: datetime
                       ) -> list[datetime | date]:
    """Starts of a recurring event's occurrences between ``lo`` and ``hi`` (wall-clock expansion)."""
    tz = start.tzinfo if isinstance(start, datetime) else None
    naive_start = _naive_in(start, None)
    rs = rruleset()
    for parts in _recurs(ev):
        until = parts.pop("UNTIL", None)
        text = icalendar.vRecur(parts).to_ical().decode()
        try:
            rule = rrulestr(text, dtstart=naive_start)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise IcsError(f"its repeat rule is not valid ({exc})") from None
        if until:
            u = until[0]
            rule = rule.replace(until=_naive_in(u, tz) if isinstance(u, datetime)
                                else datetime.combine(u, time(23, 59, 59)))
        rs.rrule(rule)
    for prop in _list(ev.get("RDATE")):
        for v in _date_values(prop, default):
            rs.rdate(_naive_in(v, tz))
    for prop in _list(ev.get("EXDATE")):
        for v in _date_values(prop, default):
            rs.exdate(_naive_in(v, tz))
            if isinstance(v, datetime):
                # Outlook writes EXDATEs in another zone with the series' wall-clock time: honour those too.
                rs.exdate(v.replace(tzinfo=None))
    lo_local = _naive_in(lo, tz) if tz else lo.replace(tzinfo=None)
    hi_local = _naive_in(hi, tz) if tz else hi.replace(tzinfo=None)
    out: list[datetime | date] = []
    for occ in rs.xafter(lo_local - timedelta(days=1), count=MAX_PER_EVENT, inc=True):
        if occ > hi_local:
            break
        out.append(occ.replace(tzinfo=tz) if isinstance(start, datetime) else occ.date())
    return out


def read_busy(data: bytes, *, default_tz: str, window_start: datetime, window_end: datetime) -> ImportResult:
    """The busy time in an ``.ics`` file between two instants. IcsError when the file is unreadable."""
    if len(data) > MAX_BYTES:
        raise IcsError("The file is larger than 20 MB; export a shorter range.")
    if not data.strip():
        raise IcsError("The file is empty.")
    if b"BEGIN:VCALENDAR" not in data[:4096].upper():
        raise IcsError("This is not an iCalendar file (no BEGIN:VCALENDAR).")
    if b"END:VCALENDAR" not in data[-4096:].upper():
        raise IcsError("The file is cut short (no END:VCALENDAR); download or export it again.")
    try:
        cals = icalendar.Calendar.from_ical(data, multiple=True)
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise IcsError(f"The calendar file is malformed: {exc}") from None
    result = ImportResult()
    events: list[Any] = [ev for cal in cals for ev in cal.walk("VEVENT")]
    moved: dict[str, set[str]] = {}
    for ev in events:
        if "RECURRENCE-ID" in ev:
            try:
                rid = _aware(ev["RECURRENCE-ID"], default_tz)
            except IcsError:
                continue
            moved.setdefault(str(ev.get("UID", "")), set()).add(_key(rid))
    for ev in events:
        uid = str(ev.get("UID", "")) or _stand_in_uid(ev)
        result.events.add(uid)
        summary = str(ev.get("SUMMARY", ""))
        try:
            _read_event(ev, uid, summary, default_tz, window_start, window_end, moved.get(uid, set()), result)
        except IcsError as exc:
            result.warnings.append(f"skipped “{summary or uid}”: {exc}")
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            result.warnings.append(f"skipped “{summary or uid}”: unreadable ({exc})")
    for fb in (c for cal in cals for c in cal.walk("VFREEBUSY")):
        for prop in _list(fb.get("FREEBUSY")):
            if str(prop.params.get("FBTYPE", "BUSY")).upper() == "FREE":
                continue
            for period in getattr(prop, "dts", [prop]):
                try:
                    p = period.dt
                    s, e = p[0], p[1] if isinstance(p[1], datetime) else p[0] + p[1]
                    s, e = s.astimezone(UTC), e.astimezone(UTC)
                except (AttributeError, TypeError, IndexError):
                    result.warnings.append("skipped an unreadable free/busy period")
                    continue
                if e > window_start and s < window_end and e > s:
                    result.busy.append(BusyTime(f"{fb.get('UID', 'freebusy')}|{_key(s)}", s, e, False, ""))
    if not events and not result.busy and not any(True for cal in cals for _ in cal.walk("VFREEBUSY")):
        raise IcsError("The file holds no events.")
    return result


def _stand_in_uid(ev: Any) -> str:
    """A UID for an event written without one: from what it says (not its place in the file), so
    importing the same file again finds it and another file's UID-less events are never taken for it."""
    said = "|".join(ev[k].to_ical().decode() if hasattr(ev.get(k), "to_ical") else str(ev.get(k, ""))
                    for k in ("DTSTART", "DTEND", "SUMMARY", "RRULE", "DESCRIPTION"))
    digest = hashlib.sha256(said.encode()).hexdigest()[:20]
    return f"no-uid-{digest}"


def _read_event(ev: Any, uid: str, summary: str, tz: str, lo: datetime, hi: datetime, moved: set[str],
                result: ImportResult) -> None:
    if str(ev.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT" or str(ev.get("STATUS", "")).upper() == "CANCELLED":
        result.skipped += 1
        return
    if "DTSTART" not in ev:
        raise IcsError("it has no start")
    start = _aware(ev["DTSTART"], tz)
    if "DTEND" in ev:
        end = _aware(ev["DTEND"], tz)
    elif "DURATION" in ev:
        end = start + ev["DURATION"].dt
    else:
        end = start + timedelta(days=1) if not isinstance(start, datetime) else start
    length = (_as_utc_span(start, end, tz)[1] - _as_utc_span(start, end, tz)[0])
    if length <= timedelta(0):
        result.skipped += 1
        return
    starts: Sequence[datetime | date]
    if "RRULE" in ev or "RDATE" in ev:
        starts = [s for s in _occurrence_starts(ev, start, tz, lo - length, hi) if _key(s) not in moved]
    else:
        starts = [start]
    for s in starts:
        if isinstance(s, datetime):
            s_utc, e_utc, all_day = s.astimezone(UTC), s.astimezone(UTC) + length, False
        else:
            days = (end - start).days if isinstance(end, date) and not isinstance(end, datetime) else 1
            s_utc, e_utc, all_day = *_as_utc_span(s, s + timedelta(days=max(1, days)), tz)[:2], True
        if e_utc <= lo or s_utc >= hi:
            result.skipped += 1
            continue
        result.busy.append(BusyTime(f"{uid}|{_key(s)}", s_utc, e_utc, all_day, summary))
