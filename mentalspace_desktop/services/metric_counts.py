"""Counting the metrics in the database: the dashboard's figures without fetching the rows behind them.

The metric functions of ``domain/metric_rules.py`` say what each metric counts, record by record,
and give the rows behind a value (:func:`services.metrics.explain`). Counting a month of a large
practice that way means building tens of thousands of Python rows and contributions; here the same
counts are sums in a few grouped queries (one pass over the period's appointments with each
session's note joined, one over the clients, two small ones over notes and rebookings), so the
cost stays close to that of reading the period's appointments once.

Each counter below returns, per subject, the numerator, the denominator and how many records
contributed, exactly as :func:`domain.metric_rules.evaluate` sums them (a subject with no record
counted has no value, except counts such as the backlog, which read 0). ``tests/services/
test_metric_counts.py`` checks every counter against its metric function on generated practices.
Metrics without a counter (the small ones: supervision, HIPAA training) and any metric added with
only its function are evaluated from the facts as before.

On a desktop store the appointment sums come from ``metric_day_totals`` (store/metric_day_totals.py:
per clinician and local day, kept by triggers), a month being some three thousand rows instead of a
grouped pass over its appointments; the grouped pass stays for PostgreSQL and for a period with
sessions booked in another zone. The period's notes with their sessions come from
``metric_note_rows`` (store/metric_note_rows.py: one row per note, its session's columns beside
it, instants as Julian day numbers, kept by triggers) instead of a join read note by note; so do
the period's drafts of the backlog. The rebook rate and the period's video clients come from
``metric_visit_rows`` (store/metric_visit_rows.py: each kept session with its client's next kept
session and next booking, kept by triggers): the period's last visits are one range of its key, not
two groupings of the period's bookings.

Given the store's ``read``, :func:`count` runs its independent reads two at a time, each on a
connection of its own (:func:`_run`): SQLCipher does its work outside Python's lock, so on a
machine of two cores or more the dashboard waits for about the longer half of them.

The PostgreSQL spellings below are not used by the app today (the hub's alert job evaluates the
metric functions): ``tests/services/test_metric_counts_postgres.py`` checks them against the same
generated practices.

Local days and wall-clock times are worked out without time zones in SQL: the zone's UTC offsets
over the period (one, or two around a daylight-saving change) are found here, and an instant's wall
clock is its Julian day plus the offset in force then (see :func:`_local_days`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, partial
from threading import Lock
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Float, Integer, String, and_, bindparam, case, exists, func, literal, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter, ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from mentalspace_desktop.domain import metric_rules as rules
from mentalspace_desktop.domain.clients import ConsentKind, is_minor
from mentalspace_desktop.domain.metrics import MetricValue, Period
from mentalspace_desktop.services import metric_facts
from mentalspace_desktop.store.chart_models import PlanReview, RiskFlag, SafetyPlan, TreatmentPlan
from mentalspace_desktop.store.metric_day_totals import metric_day_totals
from mentalspace_desktop.store.metric_note_rows import metric_note_rows
from mentalspace_desktop.store.metric_visit_rows import metric_visit_rows
from mentalspace_desktop.store.models import Client, Consent, Note
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.store.types import UTCDateTime

Sums = dict[str, tuple[float, float, int]]
Instant = ColumnElement[datetime] | InstrumentedAttribute[datetime]  # subject → numerator, denominator, records counted


# -- portable helpers: SQLite and PostgreSQL ----------------------------------------------------------


class _Seconds(FunctionElement[float]):
    """Seconds from the first instant to the second."""

    type = Float()
    inherit_cache = True


@compiles(_Seconds)
def _seconds_sqlite(element: _Seconds, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = list(element.clauses)
    # A Julian day is a float worth about 40 microseconds in its last bits: rounded to the millisecond,
    # whole seconds come out whole (the sums then match Python's to the last digit).
    return f"round((julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)})) * 86400.0, 3)"


@compiles(_Seconds, "postgresql")
def _seconds_pg(element: _Seconds, compiler: SQLCompiler, **kw: Any) -> str:
    a, b = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(b, **kw)} - {compiler.process(a, **kw)}))"


def _portable(cls: type[FunctionElement[Any]], sqlite: str, postgresql: str) -> None:
    """Compile ``cls`` as ``sqlite`` on SQLite (the default) and ``postgresql`` on PostgreSQL: templates
    where ``{}`` stands for the function's arguments."""

    @compiles(cls)
    def _default(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
        return sqlite.format(compiler.process(element.clauses, **kw))

    @compiles(cls, "postgresql")
    def _pg(element: FunctionElement[Any], compiler: SQLCompiler, **kw: Any) -> str:
        return postgresql.format(compiler.process(element.clauses, **kw))


class _JulianDay(FunctionElement[float]):
    """An instant as a Julian day number (days, fractional)."""

    type = Float()
    inherit_cache = True


class _Greatest(FunctionElement[float]):
    type = Float()
    inherit_cache = True


class _Least(FunctionElement[float]):
    type = Float()
    inherit_cache = True


_portable(_JulianDay, "julianday({})", "(EXTRACT(EPOCH FROM {}) / 86400.0 + 2440587.5)")
_portable(_Greatest, "max({})", "GREATEST({})")
_portable(_Least, "min({})", "LEAST({})")


class _WholeMinutes(FunctionElement[int]):
    """Whole minutes of a positive number of seconds, as Python's ``int(s // 60)``; the seconds are
    rounded to the millisecond first, so a float's last bit never turns 50 minutes into 49."""

    type = Integer()
    inherit_cache = True


_portable(_WholeMinutes, "CAST(round({}, 3) / 60 AS INTEGER)",  # CAST truncates: seconds >= 0 only
          "FLOOR(round(CAST({} AS numeric), 3) / 60)")


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _at(moment: datetime) -> ColumnElement[datetime]:
    return literal(moment, UTCDateTime())


def _offsets(zone: ZoneInfo, lo: datetime, hi: datetime) -> list[tuple[datetime, float]]:
    """The zone's UTC offsets (in days) over [lo, hi): the first from ``lo``, then each change with the
    instant it takes effect. Offsets change on quarter hours, so the search walks days, then the
    hours and quarter hours of a day with a change; a month has one or two of them."""
    def offset(at: datetime) -> float:
        return (at.astimezone(zone).utcoffset() or timedelta()).total_seconds() / 86400

    out = [(lo, offset(lo))]
    day = lo.replace(minute=0, second=0, microsecond=0)
    while day < hi:
        day_end = day + timedelta(days=1)
        if offset(day_end) != out[-1][1]:  # a change this day: find its hour, then its quarter hour
            hour = max(day, out[-1][0])
            while offset(hour + timedelta(hours=1)) == out[-1][1]:
                hour += timedelta(hours=1)
            while offset(hour) == out[-1][1]:
                hour += timedelta(minutes=15)
            out.append((hour, offset(hour)))
        else:
            day = day_end
    return out


def _julian(moment: datetime) -> ColumnElement[float]:
    """An instant as the Julian day number the database works out of it (``julianday`` of the same
    text as a stored instant's: equal numbers for equal instants)."""
    return _JulianDay(_at(moment))


def _local_days(column: Any, offsets: Sequence[tuple[datetime, float]], day0: date, *,
                julian: bool = False) -> ColumnElement[float]:
    """An instant as the practice's wall-clock time, in days since midnight starting ``day0`` (the
    integer part is the local day, counted from ``day0``; the fraction is the time of day).
    ``julian``: the column holds the instant as a Julian day number already."""
    days = column if julian else _JulianDay(column)
    shift: ColumnElement[float] = literal(offsets[0][1])
    if len(offsets) > 1:
        shift = case(*((column >= (_julian(since) if julian else _at(since)), literal(value))
                       for since, value in reversed(offsets[1:])), else_=literal(offsets[0][1]))
    return days + shift - (day0.toordinal() + 1721424.5)


def _day_fraction(at: time) -> float:
    return (at.hour * 3600 + at.minute * 60) / 86400


class _DayOf(FunctionElement[int]):
    """The whole days of a :func:`_local_days` figure: the local day, 0 for ``day0``; any day before
    ``day0`` reads negative. Its argument is worked out once (a CASE would work it out twice)."""

    type = Integer()
    inherit_cache = True


# A float's error around a midnight is far below a microsecond: 1e-9 days keeps 00:00 on its own day.
_portable(_DayOf, "(CAST(({}) + 1.000000001 AS INTEGER) - 1)",  # CAST truncates: shifted to stay positive
          "CAST(FLOOR(({}) + 0.000000001) AS INTEGER)")


def _day_of(local_days: ColumnElement[float]) -> ColumnElement[int]:
    return _DayOf(local_days)


# -- what every counter is given ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    period: Period
    as_of: date
    subjects: frozenset[str]
    zone: ZoneInfo
    available_minutes: dict[str, int]
    prime_available_minutes: dict[str, int]

    def instant(self, day: date, at: time = time()) -> datetime:
        return datetime.combine(day, at, tzinfo=self.zone).astimezone(UTC)

    @property
    def lo(self) -> datetime:
        return self.instant(self.period.start)

    @property
    def hi(self) -> datetime:
        return self.instant(self.period.end + timedelta(days=1))


Counter = Callable[[Session, Scope], dict[str, Sums]]  # one query may count several metrics
COUNTERS: dict[str, Counter] = {}  # metric id → the counter that counts it


def _counts(*metric_ids: str) -> Callable[[Counter], Counter]:
    def register(fn: Counter) -> Counter:
        for mid in metric_ids:
            COUNTERS[mid] = fn
        return fn
    return register


def _live_note(n: Any, scope: Scope) -> tuple[ColumnElement[bool], ...]:
    """The notes the metric functions see (metric_facts._notes): a subject's, not an addendum, written
    for a session of the period, or older and still unsigned. ``coalesce`` keeps SQLite off the
    addendum index, which would match nearly every note."""
    return (n.deleted.is_(False), func.coalesce(n.addendum_to, "") == "", n.author_id.in_(scope.subjects),
            or_(and_(n.service_date >= scope.period.start, n.service_date <= scope.period.end),
                and_(n.signed_at.is_(None), n.service_date < scope.period.start)))


APPOINTMENT_METRICS = (
    "kept_visit_rate", "no_show_rate", "cancellation_rate", "confirmation_rate", "sessions_per_day",
    "average_lead_time", "same_day_documentation_rate", "average_documentation_time", "crisis_intervention_rate",
    "schedule_fill_rate", "prime_time_utilization", "unsigned_note_backlog",
)


@_counts(*APPOINTMENT_METRICS)
def _appointments(s: Session, scope: Scope) -> dict[str, Sums]:
    """One grouped pass over the period's appointments (or the sum of its days, kept by triggers in
    ``metric_day_totals``), then the kept sessions' notes. Its two parts are independent reads:
    ``count`` may run them at once (``PARTS``)."""
    return _appointment_sums(scope, _appointment_part(s, scope), _notes_part(s, scope))


def _appointment_part(s: Session, scope: Scope) -> tuple[Sequence[Any], Sums]:
    """The grouped pass's rows, per provider, and the note backlog's counts."""
    query = _from_day_totals(scope) if _day_totals_hold(s, scope) else _grouped_pass(scope)
    rows = s.execute(query).all()
    backlog: Sums = {}
    _add_note_backlog(s, scope, backlog)
    return rows, backlog


def _grouped_pass(scope: Scope) -> Any:
    """The appointment sums per provider, summed over the period's appointments (built only when
    ``metric_day_totals`` cannot give them: building it takes a while too)."""
    a = Appointment
    day0 = scope.period.start
    offsets = _offsets_of(scope)
    starts_at, ends_at = _local_days(a.start_at, offsets, day0), _local_days(a.end_at, offsets, day0)
    day = _day_of(starts_at)
    kept, client = a.status.in_(rules.KEPT), a.client_id.is_not(None)
    late = and_(a.status == "cancelled", a.late_cancel.is_(True))
    due = and_(client, a.start_at < scope.instant(scope.as_of + timedelta(days=1)),
               or_(kept, a.status == "no_show", late))
    on_books = and_(client, or_(a.status.in_(rules.HOLDS_TIME), late))
    lead = and_(a.booked_at.is_not(None), a.series_id.is_(None), a.status != "rescheduled", a.booked_at <= a.start_at)
    seen = and_(kept, client)
    holds = a.status.in_(rules.HOLDS_TIME)
    # Prime time: Monday to Thursday (the local day's weekday from the period's first), 9:00 to 17:00
    # of the session's own day, on the wall clock.
    prime_day = ((day + day0.weekday()) % 7).in_(metric_facts.PRIME_DAYS)
    prime_seconds = 86400 * (_Least(ends_at, day + _day_fraction(metric_facts.PRIME_END))
                             - _Greatest(starts_at, day + _day_fraction(metric_facts.PRIME_START)))
    overdue = _overdue(scope)
    columns = {
        "due": func.sum(_flag(due)),
        "due_kept": func.sum(_flag(and_(due, kept))),
        "due_no_show": func.sum(_flag(and_(due, a.status == "no_show"))),
        "booked": func.sum(_flag(a.status != "rescheduled")),
        "cancelled": func.sum(_flag(a.status == "cancelled")),
        "on_books": func.sum(_flag(on_books)),
        "confirmed": func.sum(_flag(and_(on_books, a.confirmation == "confirmed"))),
        "kept": func.sum(_flag(kept)),
        "kept_days": func.count(func.distinct(case((kept, day), else_=None))),
        "lead_n": func.sum(_flag(lead)),
        "lead_days": func.sum(case((lead, _Seconds(a.booked_at, a.start_at) / 86400), else_=0.0)),
        "seen": func.sum(_flag(seen)),
        "seen_overdue": func.sum(_flag(and_(seen, overdue))),
        "held_minutes": func.sum(case((holds, _WholeMinutes(_Seconds(a.start_at, a.end_at))), else_=0)),
        "prime_minutes": func.sum(case((and_(holds, prime_day), _WholeMinutes(_Greatest(prime_seconds, 0))),
                                       else_=0)),
    }
    return (select(a.provider_id, *(c.label(k) for k, c in columns.items()))
            .where(a.start_at >= scope.lo, a.start_at < scope.hi, a.deleted.is_(False),
                   a.provider_id.in_(scope.subjects))
            .group_by(a.provider_id))


def _offsets_of(scope: Scope) -> list[tuple[datetime, float]]:
    """The zone's UTC offsets over the period and two days either side (every local day it touches)."""
    return _offsets(scope.zone, scope.instant(scope.period.start - timedelta(days=2)),
                    scope.instant(scope.period.end + timedelta(days=3)))


def _overdue(scope: Scope) -> ColumnElement[bool]:
    """A session past the backlog limit."""
    return Appointment.start_at < scope.instant(scope.as_of - timedelta(days=rules.BACKLOG_DAYS))


NoteSums = dict[str, tuple[int, int, int, float, int]]


def _notes_part(s: Session, scope: Scope) -> NoteSums:
    return _session_notes(s, scope, _offsets_of(scope), _overdue(scope))


def _appointment_sums(scope: Scope, appointment_part: tuple[Sequence[Any], Sums], notes: NoteSums,
                      ) -> dict[str, Sums]:
    """The appointment metrics from the grouped pass's rows, the backlog and the sessions' notes."""
    rows, backlog = appointment_part
    out: dict[str, Sums] = {mid: {} for mid in APPOINTMENT_METRICS}

    def put(mid: str, subject: str, num: float, den: float, n_records: int) -> None:
        if n_records:
            out[mid][subject] = (float(num), float(den), int(n_records))

    for r in rows:
        p = r.provider_id
        same_day, crisis, documented, doc_hours, noted_overdue = notes.get(p, (0, 0, 0, 0.0, 0))
        put("kept_visit_rate", p, r.due_kept, r.due, r.due)
        put("no_show_rate", p, r.due_no_show, r.due, r.due)
        put("cancellation_rate", p, r.cancelled, r.booked, r.booked)
        put("confirmation_rate", p, r.confirmed, r.on_books, r.on_books)
        put("sessions_per_day", p, r.kept, r.kept_days, r.kept)
        put("average_lead_time", p, r.lead_days or 0.0, r.lead_n, r.lead_n)
        put("same_day_documentation_rate", p, same_day, r.seen, r.seen)
        put("crisis_intervention_rate", p, crisis, r.seen, r.seen)
        put("average_documentation_time", p, doc_hours, documented, documented)
        no_note = r.seen_overdue - noted_overdue
        put("unsigned_note_backlog", p, no_note, 0, no_note)
        if p in scope.available_minutes:
            put("schedule_fill_rate", p, (r.held_minutes or 0) / 60, 0, 1)
        if p in scope.prime_available_minutes:
            put("prime_time_utilization", p, (r.prime_minutes or 0) / 60, 0, 1)
    for mid, available in (("schedule_fill_rate", scope.available_minutes),
                           ("prime_time_utilization", scope.prime_available_minutes)):
        for p, minutes in available.items():
            num, _, _ = out[mid].get(p, (0.0, 0.0, 0))
            out[mid][p] = (num, minutes / 60, 1)
    into = out["unsigned_note_backlog"]
    for author, (count, _, records) in backlog.items():
        num, _, counted = into.get(author, (0.0, 0.0, 0))
        into[author] = (num + count, 0.0, counted + records)
    return out


def _day_totals_hold(s: Session, scope: Scope) -> bool:
    """Whether the period's sums can be read from ``metric_day_totals``: a SQLite store (the hub's
    PostgreSQL has no such table) whose appointments around the period all carry the practice's zone,
    so that the day of their wall clock is the practice's day."""
    if s.get_bind().dialect.name != "sqlite":
        return False
    t = metric_day_totals
    return s.scalar(select(exists().where(
        t.c.day >= scope.period.start - timedelta(days=2), t.c.day <= scope.period.end + timedelta(days=2),
        t.c.time_zone != scope.zone.key))) is False


def _from_day_totals(scope: Scope) -> Any:
    """The grouped pass's figures, per provider, summed from the period's days: what falls due up to
    "as of" and past the backlog limit is told by the day, as the grouped pass tells it by the instant
    (the start of the day after, or of the day the limit falls on)."""
    t = metric_day_totals
    by_as_of = t.c.day <= scope.as_of
    overdue = t.c.day < scope.as_of - timedelta(days=rules.BACKLOG_DAYS)
    columns = {
        "due": func.sum(case((by_as_of, t.c.due), else_=0)),
        "due_kept": func.sum(case((by_as_of, t.c.seen), else_=0)),
        "due_no_show": func.sum(case((by_as_of, t.c.no_show), else_=0)),
        "booked": func.sum(t.c.booked),
        "cancelled": func.sum(t.c.cancelled),
        "on_books": func.sum(t.c.on_books),
        "confirmed": func.sum(t.c.confirmed),
        "kept": func.sum(t.c.kept),
        "kept_days": func.sum(_flag(t.c.kept > 0)),
        "lead_n": func.sum(t.c.lead_n),
        "lead_days": func.sum(t.c.lead_ms) / 86_400_000.0,
        "seen": func.sum(t.c.seen),
        "seen_overdue": func.sum(case((overdue, t.c.seen), else_=0)),
        "held_minutes": func.sum(t.c.held_minutes),
        "prime_minutes": func.sum(t.c.prime_minutes),
    }
    return (select(t.c.provider_id, *(c.label(k) for k, c in columns.items()))
            .where(t.c.day >= scope.period.start, t.c.day <= scope.period.end, t.c.time_zone == scope.zone.key,
                   t.c.provider_id.in_(scope.subjects))
            .group_by(t.c.provider_id))


def _session_notes(s: Session, scope: Scope, offsets: Sequence[tuple[datetime, float]],
                   overdue: ColumnElement[bool]) -> NoteSums:
    """Per provider, over the notes of the period's kept sessions (a session's first note when it has
    several): signed the session's day, crisis notes, signed at all and hours to signature, and how
    many of the sessions past the backlog limit have one. Read from the notes' side (the period's
    notes by author and date, their session by its key), then the older unsigned ones."""
    n = Note
    out: dict[str, tuple[int, int, int, float, int]] = {}
    sqlite = s.get_bind().dialect.name == "sqlite"
    # Older unsigned notes found first through their partial index, then counted by key: asked in one
    # query, a store never analysed would rather walk the period's sessions and look up their notes.
    older_unsigned = list(s.scalars(select(n.id).where(n.author_id.in_(scope.subjects), n.signed_at.is_(None),
                                                       n.service_date < scope.period.start)))
    queries: list[tuple[Any, dict[str, Any]]] = [_period_notes_from_rows(scope, offsets)] if sqlite else [
        (_session_notes_query(scope, offsets, overdue).where(n.service_date >= scope.period.start,
                                                             n.service_date <= scope.period.end), {})]
    if older_unsigned:  # built only when wanted: most months have none, and building it takes a while
        queries.append((_session_notes_query(scope, offsets, overdue).where(n.id.in_(older_unsigned)), {}))
    for query, values in queries:
        for provider, *sums in s.execute(query, values):
            before = out.get(provider, (0, 0, 0, 0.0, 0))
            out[provider] = tuple(x + (y or 0) for x, y in zip(before, sums, strict=True))  # type: ignore[assignment]
    return out


def _session_notes_query(scope: Scope, offsets: Sequence[tuple[datetime, float]],
                         overdue: ColumnElement[bool]) -> Any:
    """:func:`_session_notes`'s sums over notes joined to their sessions, for the notes the caller
    picks: the period's (PostgreSQL), the older unsigned ones."""
    n, a, other = Note, Appointment, aliased(Note)
    day0 = scope.period.start
    authored = func.coalesce(n.submitted_at, n.signed_at)
    same_day = _day_of(_local_days(authored, offsets, day0)) == _day_of(_local_days(a.start_at, offsets, day0))
    older = exists().where(other.appointment_id == n.appointment_id, other.id < n.id, *_live_note(other, scope))
    return (select(a.provider_id,
                   func.sum(_flag(and_(n.status.in_(rules.AUTHOR_SIGNED), same_day))),
                   func.sum(_flag(n.note_type.in_(rules.CRISIS_NOTE_TYPES))),
                   func.sum(_flag(authored.is_not(None))),
                   func.sum(_Greatest(_Seconds(a.end_at, authored), 0) / 3600),  # NULL (unsigned): left out
                   func.sum(_flag(overdue)))
            .select_from(n).join(a, a.id == n.appointment_id)
            .where(a.start_at >= scope.lo, a.start_at < scope.hi, a.deleted.is_(False),
                   a.provider_id.in_(scope.subjects), a.status.in_(rules.KEPT), a.client_id.is_not(None),
                   n.deleted.is_(False), func.coalesce(n.addendum_to, "") == "",
                   n.author_id.in_(scope.subjects), ~older)
            .group_by(a.provider_id))


def _period_notes_from_rows(scope: Scope, offsets: Sequence[tuple[datetime, float]]) -> tuple[Any, dict[str, Any]]:
    """The first query of :func:`_session_notes` (the period's notes), read from ``metric_note_rows``
    (store/metric_note_rows.py): the same rows and the same arithmetic, on instants kept as the Julian
    day numbers the grouped query works out, and the first-note look-up only for a session with more
    than one note. The statement is built once for each number of UTC offsets the period has
    (:func:`_notes_rows_query`), this call's values given as its parameters."""
    values: dict[str, Any] = {
        "subjects": sorted(scope.subjects), "start": scope.period.start, "end": scope.period.end,
        "lo": scope.lo, "hi": scope.hi, "day0_jd": scope.period.start.toordinal() + 1721424.5,
        "overdue_at": scope.instant(scope.as_of - timedelta(days=rules.BACKLOG_DAYS)), "off0": offsets[0][1]}
    for k, (since, value) in enumerate(offsets[1:], start=1):
        values[f"since{k}"], values[f"off{k}"] = since, value
    return _notes_rows_query(len(offsets)), values


def _local_days_of_julian(column: Any, n_offsets: int) -> ColumnElement[float]:
    """:func:`_local_days` of a column of Julian day numbers, its offsets and first day as parameters
    (``off0``; ``since1``, ``off1``, … for each change; ``day0_jd``): the same expression, values bound."""
    shift: ColumnElement[float] = bindparam("off0", type_=Float())
    if n_offsets > 1:
        shift = case(*((column >= _JulianDay(bindparam(f"since{k}", type_=UTCDateTime())),
                        bindparam(f"off{k}", type_=Float())) for k in reversed(range(1, n_offsets))),
                     else_=bindparam("off0", type_=Float()))
    return column + shift - bindparam("day0_jd", type_=Float())


@cache
def _notes_rows_query(n_offsets: int) -> Any:
    n, other = metric_note_rows.c, metric_note_rows.alias("other").c
    subjects: BindParameter[list[str]] = bindparam("subjects", expanding=True)
    start, end = bindparam("start", type_=Date()), bindparam("end", type_=Date())
    same_day = (_day_of(_local_days_of_julian(n.authored_jd, n_offsets))
                == _day_of(_local_days_of_julian(n.start_jd, n_offsets)))
    live = (other.addendum.is_(False), other.author_id.in_(subjects),
            or_(and_(other.service_date >= start, other.service_date <= end),
                and_(other.signed.is_(False), other.service_date < start)))
    older = and_(n.siblings > 1, exists().where(other.appointment_id == n.appointment_id,
                                                 other.note_id < n.note_id, *live))
    overdue = n.start_jd < _JulianDay(bindparam("overdue_at", type_=UTCDateTime()))
    seconds = func.round((n.authored_jd - n.end_jd) * 86400.0, 3)  # as _Seconds(end, authored) on SQLite
    return (select(n.provider_id,
                   func.sum(_flag(and_(n.status.in_(rules.AUTHOR_SIGNED), same_day))),
                   func.sum(_flag(n.note_type.in_(rules.CRISIS_NOTE_TYPES))),
                   func.sum(_flag(n.authored_jd.is_not(None))),
                   func.sum(_Greatest(seconds, 0) / 3600),  # NULL (unsigned): left out
                   func.sum(_flag(overdue)))
            .where(n.author_id.in_(subjects), n.service_date >= start, n.service_date <= end,
                   n.addendum.is_(False), n.start_jd >= _JulianDay(bindparam("lo", type_=UTCDateTime())),
                   n.start_jd < _JulianDay(bindparam("hi", type_=UTCDateTime())), n.session_deleted.is_(False),
                   # the author is a subject: their own session's clinician needs no look-up
                   or_(n.provider_id == n.author_id, n.provider_id.in_(subjects)),
                   n.session_status.in_(rules.KEPT), n.with_client.is_(True), ~older)
            .group_by(n.provider_id))


def _add_note_backlog(s: Session, scope: Scope, into: Sums) -> None:
    """Drafts older than the backlog limit: those of the period's sessions, and older unsigned ones
    (read through the partial index of unsigned notes). On a desktop store the period's are a range
    of ``metric_note_rows`` (every live note, with or without a session), not a look-up per note."""
    n = Note
    limit = scope.as_of - timedelta(days=rules.BACKLOG_DAYS)
    draft = (n.deleted.is_(False), func.coalesce(n.addendum_to, "") == "", n.author_id.in_(scope.subjects),
             n.status.not_in(rules.AUTHOR_SIGNED), n.service_date < limit)
    in_period: Any
    if s.get_bind().dialect.name == "sqlite":
        r = metric_note_rows.c
        # One upper bound, the earlier of the two: the key's range, not a test of every row's date.
        in_period = (select(r.author_id, func.count())
                     .where(r.author_id.in_(scope.subjects), r.service_date >= scope.period.start,
                            r.service_date <= min(scope.period.end, limit - timedelta(days=1)),
                            r.addendum.is_(False), r.status.not_in(rules.AUTHOR_SIGNED))
                     .group_by(r.author_id))
    else:
        in_period = select(n.author_id, func.count()).where(*draft, n.service_date >= scope.period.start,
                                                            n.service_date <= scope.period.end).group_by(n.author_id)
    for query in (
        in_period,
        select(n.author_id, func.count()).where(*draft, n.signed_at.is_(None),
                                                n.service_date < scope.period.start).group_by(n.author_id),
    ):
        for author, count in s.execute(query):
            num, _, records = into.get(author, (0.0, 0.0, 0))
            into[author] = (num + count, 0.0, records + count)


class _Sortable(FunctionElement[str]):
    """An instant as text that sorts as the instant does (fixed width, UTC)."""

    type = String()
    inherit_cache = True


_portable(_Sortable, "{}",  # stored as "YYYY-MM-DD HH:MM:SS.ffffff"
          "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US')")
_SORTABLE_WIDTH, _ID_WIDTH = 26, 36


@_counts("rebook_rate")
def _rebook(s: Session, scope: Scope) -> dict[str, Sums]:
    """Each client's last kept visit of the period, its provider, and their next booking after it
    (in the period or the 30 days after): rebooked when that falls within 30 days of the visit.

    On a desktop store, read from ``metric_visit_rows`` (:func:`_rebook_from_rows`); otherwise, and
    for the clients those rows leave open, from the appointments (:func:`_rebook_from_bookings`)."""
    if s.get_bind().dialect.name != "sqlite":
        return {"rebook_rate": _rebook_from_bookings(s, scope)}
    return {"rebook_rate": _rebook_from_rows(s, scope)}


_OPEN_CLIENTS_AT_MOST = 500
"""Clients left open by ``metric_visit_rows`` counted by key; more, and the period is counted the
long way (a team whose clients also see clinicians outside it, measured on its own)."""


def _rebook_from_rows(s: Session, scope: Scope) -> Sums:
    """The rebook sums from ``metric_visit_rows`` (store/metric_visit_rows.py): one range of the
    subjects' kept visits of the period, each row knowing its client's next kept visit and next
    booking (anyone's).

    A row is its client's last visit when nothing kept follows it in the period and no kept visit
    shares its instant with a later id; it is not when a subject's kept visit follows it in the
    period. Rebooked: its next booking falls within 30 days (and before the read's end), a subject's.
    Whatever a row leaves open (a tie, a following visit or booking with someone not measured)
    sends its client to :func:`_rebook_from_bookings`, by key."""
    r, subjects = metric_visit_rows.c, scope.subjects
    hi = _julian(scope.hi)
    in_period = (r.provider_id.in_(subjects), r.start_jd >= _julian(scope.lo), r.start_jd < hi)
    last = and_(r.tie_after.is_(False), or_(r.next_kept_jd.is_(None), r.next_kept_jd >= hi))
    seconds = func.round((r.next_booked_jd - r.start_jd) * 86400.0, 3)  # as _Seconds(start, next) on SQLite
    rebooked = and_(r.next_booked_jd.is_not(None),
                    r.next_booked_jd < _julian(scope.instant(scope.period.end + timedelta(days=31))),
                    seconds <= rules.REBOOK_DAYS * 86400)
    # Someone else's: only then is the clinician looked for among the subjects.
    open_ = or_(r.tie_after.is_(True),
                and_(r.next_kept_jd < hi, r.next_kept_provider != r.provider_id,
                     r.next_kept_provider.not_in(subjects)),
                and_(last, r.next_booked_provider != r.provider_id, r.next_booked_provider.not_in(subjects),
                     rebooked))
    # One pass: the sums, and whether any row leaves its client open (hardly ever, measuring everyone).
    query = (select(r.provider_id, func.sum(_flag(and_(last, rebooked))), func.sum(_flag(last)),
                    func.sum(_flag(open_))).where(*in_period).group_by(r.provider_id))
    rows = s.execute(query).all()
    if not any(n_open for *_, n_open in rows):
        return {p: (float(num), float(den), int(den)) for p, num, den, _ in rows if den}
    left_open = list(s.scalars(select(r.client_id).where(*in_period, open_).distinct()))
    if len(left_open) > _OPEN_CLIENTS_AT_MOST:
        return _rebook_from_bookings(s, scope)
    settled = (select(r.provider_id, func.sum(_flag(rebooked)), func.count())
               .where(*in_period, last, r.client_id.not_in(left_open)).group_by(r.provider_id))
    out = {p: (float(num or 0), float(den), int(den)) for p, num, den in s.execute(settled)}
    for p, (num, den, records) in _rebook_from_bookings(s, scope, clients=left_open).items():
        before = out.get(p, (0.0, 0.0, 0))
        out[p] = (before[0] + num, before[1] + den, before[2] + records)
    return out


def _rebook_from_bookings(s: Session, scope: Scope, clients: Sequence[str] | None = None) -> Sums:
    """The rebook sums from the appointments (of ``clients`` only, when given).

    One range read of the subjects' bookings from the period's start to 31 days past its end (their
    (provider, start) index), from which the last visits and the next bookings are both taken, and
    summed per provider in the database. The last visit's provider comes with its start and id in one
    MAX (two visits at the same time: the later id, as the metric function decides)."""
    a = Appointment
    later_hi = scope.instant(scope.period.end + timedelta(days=31))
    whose = a.client_id.is_not(None) if clients is None else a.client_id.in_(clients)
    booked = (select(a.client_id, a.start_at, a.status, a.id, a.provider_id)
              .where(a.deleted.is_(False), a.provider_id.in_(scope.subjects), whose,
                     a.start_at >= scope.lo, a.start_at < later_hi, a.status.in_(rules.HOLDS_TIME))  # ⊇ KEPT
              .cte("booked").prefix_with("MATERIALIZED"))  # read once, not once for each use
    last = (select(booked.c.client_id, func.max(booked.c.start_at).label("last_at"),
                   func.max(_Sortable(booked.c.start_at) + booked.c.id + booked.c.provider_id).label("last_visit"))
            .where(booked.c.start_at < scope.hi, booked.c.status.in_(rules.KEPT))
            .group_by(booked.c.client_id).cte("last_visits"))
    following = (select(last.c.client_id, func.min(booked.c.start_at).label("next_at"))
                 .join_from(last, booked, and_(booked.c.client_id == last.c.client_id,
                                               booked.c.start_at > last.c.last_at))
                 .group_by(last.c.client_id).cte("next_bookings"))
    provider = func.substr(last.c.last_visit, _SORTABLE_WIDTH + _ID_WIDTH + 1)
    in_time = _Seconds(last.c.last_at, following.c.next_at) <= rules.REBOOK_DAYS * 86400
    query = (select(provider, func.sum(_flag(and_(following.c.next_at.is_not(None), in_time))), func.count())
             .select_from(last.outerjoin(following, following.c.client_id == last.c.client_id))
             .group_by(provider))
    return {p: (float(num or 0), float(den), int(den)) for p, num, den in s.execute(query)}


CLIENT_METRICS = ("informed_consent_currency", "minor_consent_compliance", "telehealth_consent_compliance",
                  "complete_demographics_rate", "treatment_plan_currency", "safety_plan_compliance")


def _minor_born_after(as_of: date) -> date:
    """The latest birth date of an adult on ``as_of``: a client born after it is a minor (found with
    :func:`is_minor` itself, by halving, so leap days follow its rule)."""
    adult, minor = date(as_of.year - 20, 1, 1).toordinal(), date(as_of.year - 16, 12, 31).toordinal()
    while minor - adult > 1:
        middle = (adult + minor) // 2
        if is_minor(date.fromordinal(middle), as_of):
            minor = middle
        else:
            adult = middle
    return date.fromordinal(adult)


@_counts(*CLIENT_METRICS)
def _clients(s: Session, scope: Scope) -> dict[str, Sums]:
    """One grouped pass over the subjects' active clients, each record's existence asked per client
    (the statement built once per dialect, :func:`_clients_query`; this call gives its values)."""
    as_of = scope.as_of
    plan_since = as_of - timedelta(days=metric_facts.plan_current_days(s))
    query = _clients_query(s.get_bind().dialect.name == "sqlite")
    values = {"as_of": as_of, "born_after": _minor_born_after(as_of), "plan_since": plan_since,
              "plan_since_at": scope.instant(plan_since), "lo": scope.lo, "hi": scope.hi,
              "informed_after": as_of - timedelta(days=metric_facts.consent_valid_days(s)),
              "subjects": sorted(scope.subjects)}
    out: dict[str, Sums] = {mid: {} for mid in CLIENT_METRICS}
    for r in s.execute(query, values):
        p = r.primary_clinician_id
        for mid, num, den in (("informed_consent_currency", r.informed, r.clients),
                              ("complete_demographics_rate", r.complete, r.clients),
                              ("treatment_plan_currency", r.plan, r.clients),
                              ("minor_consent_compliance", r.guardian, r.minors),
                              ("telehealth_consent_compliance", r.video_consent, r.video),
                              ("safety_plan_compliance", r.safety, r.at_risk)):
            if den:
                out[mid][p] = (float(num or 0), float(den), int(den))
    return out


@cache
def _clients_query(sqlite: bool) -> Any:
    """:func:`_clients`'s statement, its values left as parameters: building it (some hundred
    expressions) and working out its cache key once, not at every dashboard refresh."""
    c = Client
    as_of = bindparam("as_of", type_=Date())
    subjects: BindParameter[list[str]] = bindparam("subjects", expanding=True)
    lo, hi = bindparam("lo", type_=UTCDateTime()), bindparam("hi", type_=UTCDateTime())
    plan_since = bindparam("plan_since", type_=Date())

    def consent(kind: str, *extra: ColumnElement[bool]) -> ColumnElement[bool]:
        return exists().where(Consent.client_id == c.id, Consent.deleted.is_(False), Consent.kind == kind,
                              or_(Consent.revoked_on.is_(None), Consent.revoked_on > as_of),
                              or_(Consent.expires_on.is_(None), Consent.expires_on >= as_of), *extra)

    minor = c.dob > bindparam("born_after", type_=Date())
    complete = metric_facts.CLIENT_COMPLETE
    plan_current = or_(
        exists().where(TreatmentPlan.client_id == c.id, TreatmentPlan.deleted.is_(False),
                       TreatmentPlan.signed_at >= bindparam("plan_since_at", type_=UTCDateTime())),
        exists().where(PlanReview.client_id == c.id, PlanReview.deleted.is_(False), PlanReview.signed_at.is_not(None),
                       PlanReview.reviewed_on >= plan_since))
    at_risk = exists().where(RiskFlag.client_id == c.id, RiskFlag.cleared_on.is_(None), RiskFlag.deleted.is_(False))
    safety = exists().where(SafetyPlan.client_id == c.id, SafetyPlan.signed_at.is_not(None),
                            SafetyPlan.deleted.is_(False))
    # IN, not EXISTS: the period's video sessions are listed once, not looked up client by client;
    # materialized, so that the two columns asking share one read of the period. On a desktop store
    # they are a range of metric_visit_rows (its kept sessions with a client), not of appointments.
    if sqlite:
        kept = metric_visit_rows.c
        videos = select(kept.client_id).where(kept.telehealth.is_(True), kept.provider_id.in_(subjects),
                                              kept.start_jd >= _JulianDay(lo), kept.start_jd < _JulianDay(hi))
    else:
        v = Appointment
        videos = select(v.client_id).where(
            v.telehealth.is_(True), v.status.in_(rules.KEPT), v.start_at >= lo, v.start_at < hi,
            v.deleted.is_(False), v.provider_id.in_(subjects), v.client_id.is_not(None))
    video = videos.cte("video_clients").prefix_with("MATERIALIZED")
    by_video = c.id.in_(select(video.c.client_id))
    informed = consent(ConsentKind.INFORMED_CONSENT, Consent.signed_on > bindparam("informed_after", type_=Date()))
    columns = {
        "clients": func.count(),
        "informed": func.sum(_flag(informed)),
        "complete": func.sum(_flag(and_(complete, or_(~minor, metric_facts.HAS_GUARDIAN)))),
        "plan": func.sum(_flag(plan_current)),
        "minors": func.sum(_flag(minor)),
        "guardian": func.sum(case((minor, _flag(consent(ConsentKind.GUARDIAN_CONSENT))), else_=0)),
        "video": func.sum(_flag(by_video)),
        "video_consent": func.sum(case((by_video, _flag(consent(ConsentKind.TELEHEALTH_CONSENT))), else_=0)),
        "at_risk": func.sum(_flag(at_risk)),
        "safety": func.sum(case((at_risk, _flag(safety)), else_=0)),
    }
    return (select(c.primary_clinician_id, *(col.label(k) for k, col in columns.items()))
            .where(c.deleted.is_(False), c.status == "active", c.primary_clinician_id.in_(subjects))
            .group_by(c.primary_clinician_id))


@_counts("client_retention_90d")
def _retention(s: Session, scope: Scope) -> dict[str, Sums]:
    sums: dict[str, list[int]] = {}
    for _, clinician, first, recent in metric_facts.retention_candidates(
            s, scope.as_of, scope.subjects, scope.zone, first_visits=s.get_bind().dialect.name == "sqlite"):
        if 90 <= (scope.as_of - first).days <= 180:
            pair = sums.setdefault(clinician, [0, 0])
            pair[0] += recent is not None
            pair[1] += 1
    return {"client_retention_90d": {p: (num, den, den) for p, (num, den) in sums.items()}}


PARTS: dict[Counter, tuple[tuple[Callable[[Session, Scope], Any], ...], Callable[..., dict[str, Sums]]]] = {
    _appointments: ((_appointment_part, _notes_part), _appointment_sums),
}
"""A counter made of independent reads: its parts, and how their results make its sums (with the
final scope). ``count`` runs each part as a job of its own."""

_LENGTH = {_clients: 11, _notes_part: 11, _appointment_part: 7, _rebook: 5, _retention: 2}
"""Each read's time in ms on a store of a million appointments (benchmarks/bench_metrics.py): the
order in which ``count`` starts them, longest first."""
_FACTS_LENGTH = 3
"""The facts (or the availability alone), read alongside: about 3 ms when the light metrics want them."""

Reader = Callable[[], AbstractContextManager[Session]]
_pool: ThreadPoolExecutor | None = None
_pool_lock = Lock()
JOBS_AT_ONCE = 2
"""Reads run at once by ``count`` given a reader: the machines this runs on have two cores or more,
and the store's reads spend their time in SQLCipher, which runs outside Python's lock."""


def _on(read: Callable[[Session, Scope], Any], scope: Scope, s: Session) -> Any:
    return read(s, scope)


def _run(jobs: list[Callable[[Session], Any]], s: Session, reader: Reader | None) -> list[Any]:
    """Each job's result, in order: on ``s`` one after another, or — given a reader on a SQLite store
    — on connections of their own, :data:`JOBS_AT_ONCE` at a time.

    Each job then reads in its own transaction: a write landing while they run can show in some
    metrics and not others, as it would in a dashboard read a moment later; each metric is counted
    from one snapshot."""
    if reader is None or len(jobs) < 2 or s.get_bind().dialect.name != "sqlite":
        return [job(s) for job in jobs]
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=JOBS_AT_ONCE, thread_name_prefix="metric-count")
        pool = _pool

    def on_own_connection(job: Callable[[Session], Any]) -> Any:
        with reader() as own:
            return job(own)

    return [f.result() for f in [pool.submit(on_own_connection, job) for job in jobs]]


def count(s: Session, *, period: Period, today: date, subjects: frozenset[str], zone: ZoneInfo,
          supervised_licenses: frozenset[str], metric_ids: Sequence[str],
          reader: Reader | None = None) -> list[MetricValue]:
    """``metric_ids`` for every subject, in the order :func:`domain.metric_rules.evaluate` gives them.

    Given ``reader`` (the store's ``read``), the independent reads run at once (:func:`_run`)."""
    as_of = min(period.end, today)
    counted = [m for m in metric_ids if m in COUNTERS]
    rest = [m for m in metric_ids if m not in COUNTERS]
    light = all(m in rules.LIGHT_METRICS for m in rest)

    def facts_or_availability(own: Session) -> Any:
        if rest:
            return metric_facts.fetch_facts(own, period=period, today=today, subjects=subjects, zone=zone,
                                            supervised_licenses=supervised_licenses, light=light)
        return metric_facts.availability(own, period, subjects, zone)

    counters = list(dict.fromkeys(COUNTERS[m] for m in counted))  # each query once, in the order first wanted
    early = Scope(period, as_of, subjects, zone, {}, {})  # what the reads need: no one's availability
    reads: list[Callable[[Session, Scope], Any]] = [
        part for counter in counters for part in (PARTS[counter][0] if counter in PARTS else (counter,))]
    jobs: list[Callable[[Session], Any]] = [*(partial(_on, read, early) for read in reads), facts_or_availability]
    # Longest first, so that the last to finish is a short one (the order of the results is kept).
    order = sorted(range(len(jobs)), key=lambda i: -(_LENGTH.get(reads[i], 0) if i < len(reads) else _FACTS_LENGTH))
    done = dict(zip(order, _run([jobs[i] for i in order], s, reader), strict=True))
    results = iter(done[i] for i in range(len(jobs)))
    parts = [[next(results) for _ in (PARTS[c][0] if c in PARTS else (c,))] for c in counters]
    got = next(results)
    facts = got if rest else None
    available, prime = (facts.available_minutes, facts.prime_available_minutes) if facts is not None else got
    scope = replace(early, available_minutes=available, prime_available_minutes=prime)
    sums: dict[str, Sums] = {}
    for counter, results_of in zip(counters, parts, strict=True):
        sums.update(PARTS[counter][1](scope, *results_of) if counter in PARTS else results_of[0])
    python = {m: rules.evaluate(facts, [m]) for m in rest} if facts is not None else {}
    out: list[MetricValue] = []
    for mid in metric_ids:
        if mid in python:
            out.extend(python[mid])
            continue
        by_subject = {p: v for p, v in sums[mid].items() if p in subjects}
        if mid in rules.COUNT_METRICS:
            out.extend(MetricValue(mid, p, by_subject.get(p, (0.0, 0.0, 0))[0], 1.0) for p in sorted(subjects))
        else:
            out.extend(MetricValue(mid, p, num, den) for p, (num, den, _) in sorted(by_subject.items()))
    return out
