"""Dates and times as the practice reads them: its time zone, its locale, one format per kind.

Instants are stored in UTC; a laptop set to another zone, or a server-style machine on UTC, must
still show 2:30 PM for a 2:30 PM session in Atlanta. The main window sets the zone at sign-in (and it
is remembered for the next start, so the sign-in window's lockout message uses it too).

Every screen formats through the four functions here — :func:`format_date`, :func:`format_time`,
:func:`format_datetime` and :func:`format_relative` — so a date reads the same everywhere
("03/14/2026", "2:30 PM", "03/14/2026 2:30 PM", "Today 2:30 PM"). The patterns come from the practice's
locale (US English unless the practice says otherwise), with four-digit years and zero-padded days so
columns line up and dates read back the way the desk types them.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from mentalspace_desktop.gui.qt import QDate, QLocale, QTime

DEFAULT_LOCALE = "en_US"
_ZONE_SETTING = "practice/time_zone"

_zone: tzinfo | None = None
_locale = QLocale(DEFAULT_LOCALE)


def set_practice_zone(name: str, *, remember: bool = True) -> None:
    global _zone
    try:
        _zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        _zone = None  # an unknown zone name: fall back to the computer's zone
        return
    if remember:
        from mentalspace_desktop.gui.theme import app_settings

        app_settings().setValue(_ZONE_SETTING, name)


def restore_practice_zone() -> None:
    """The zone of the practice last signed in to on this computer (before anyone signs in)."""
    from mentalspace_desktop.gui.theme import app_settings

    name = app_settings().value(_ZONE_SETTING, "")
    if name:
        set_practice_zone(str(name), remember=False)


def set_practice_locale(name: str | None) -> None:
    global _locale
    _locale = QLocale(name or DEFAULT_LOCALE)


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(_zone) if _zone is not None else moment.astimezone()


def now_local() -> datetime:
    return to_local(datetime.now().astimezone())


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
def date_pattern() -> str:
    """The locale's short date pattern with a four-digit year and two-digit day and month."""
    pattern = _locale.dateFormat(QLocale.FormatType.ShortFormat)
    if "yyyy" not in pattern:
        pattern = pattern.replace("yy", "yyyy")
    for one, two in (("M", "MM"), ("d", "dd")):
        if two not in pattern:
            pattern = pattern.replace(one, two)
    return pattern


def time_pattern() -> str:
    """The locale's short time pattern (hours and minutes; "2:30 PM" in the US, "14:30" elsewhere)."""
    return _locale.timeFormat(QLocale.FormatType.ShortFormat).replace("\u202f", " ")


def format_date(value: date | None) -> str:
    """A calendar date (date of birth, consent signed on): no zone, it is a day, not an instant."""
    if value is None:
        return ""
    return _locale.toString(QDate(value.year, value.month, value.day), date_pattern())


def format_time(moment: datetime) -> str:
    """The time of day of an instant, in the practice's zone."""
    local = to_local(moment)
    return _locale.toString(QTime(local.hour, local.minute, local.second), time_pattern())


def format_datetime(moment: datetime | None) -> str:
    """An instant as date and time in the practice's zone."""
    if moment is None:
        return ""
    local = to_local(moment)
    return f"{format_date(local.date())} {format_time(local)}"


def format_relative(moment: datetime | None, *, now: datetime | None = None) -> str:
    """An instant said the way people say it: "Today 2:30 PM", "Yesterday 9:05 AM", else date and time."""
    if moment is None:
        return ""
    local = to_local(moment)
    today = to_local(now).date() if now is not None else now_local().date()
    if local.date() == today:
        return f"Today {format_time(local)}"
    if local.date() == today - timedelta(days=1):
        return f"Yesterday {format_time(local)}"
    return format_datetime(local)
