"""Fetching a period's metric facts for many clinicians at once: a handful of set-based queries.

Never one query per metric per clinician: the appointments of the period (and the 30 days after,
for rebooking) in one pass, the notes in one, the clients with their consents, plans and risk in a
few, staff in one, availability in one. The queries use only portable SQL so the hub can run the
same code on PostgreSQL; local days and prime-time minutes are worked out here, in the practice's
time zone.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from mentalspace_desktop.domain import compliance as compliance_rules
from mentalspace_desktop.domain.clients import ConsentKind, is_minor
from mentalspace_desktop.domain.metric_rules import (
    KEPT,
    Appt,
    ClientFact,
    Facts,
    NoteFact,
    StaffFact,
    SupervisionFact,
)
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.store.chart_models import PlanReview, RiskFlag, SafetyPlan, TreatmentPlan
from mentalspace_desktop.store.client_first_visits import client_first_visits
from mentalspace_desktop.store.metric_note_rows import metric_note_rows
from mentalspace_desktop.store.models import Client, Consent, Note, Practice, User
from mentalspace_desktop.store.scheduling_models import Appointment, ProviderAvailability
from mentalspace_desktop.store.supervision_models import SupervisionSession

PRIME_DAYS = frozenset({0, 1, 2, 3})  # Monday to Thursday
PRIME_START, PRIME_END = time(9), time(17)


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _overlap_minutes(start: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    return max(0, int((min(end, hi) - max(start, lo)).total_seconds() // 60))


class _WallClock:
    """Instants as the practice's wall-clock time (naive), each offset looked up once per quarter hour
    of UTC: zones change offset only on quarter hours, and a month's sessions start at a few hundred
    distinct times, so a month of rows costs a few hundred zone look-ups instead of two per row."""

    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._offsets: dict[datetime, timedelta] = {}

    def wall(self, moment: datetime) -> datetime:
        key = moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
        offset = self._offsets.get(key)
        if offset is None:
            offset = self._offsets[key] = key.astimezone(self.zone).utcoffset() or timedelta()
        return (moment + offset).replace(tzinfo=None)


def _prime_minutes(local_start: datetime, local_end: datetime) -> int:
    """Minutes of a session (wall-clock times) inside Monday–Thursday 9:00–17:00."""
    if local_start.weekday() not in PRIME_DAYS:
        return 0
    day = local_start.date()
    return _overlap_minutes(local_start, local_end, datetime.combine(day, PRIME_START),
                            datetime.combine(day, PRIME_END))


def _appointments(s: Session, lo: datetime, hi: datetime, subjects: frozenset[str], zone: ZoneInfo) -> list[Appt]:
    a = Appointment
    rows = s.execute(
        select(a.id, a.provider_id, a.client_id, a.status, a.late_cancel, a.start_at, a.end_at, a.booked_at,
               a.telehealth, a.series_id, a.confirmation)
        .where(a.start_at >= lo, a.start_at < hi, a.deleted.is_(False), a.provider_id.in_(subjects))
    )
    clock = _WallClock(zone)
    out = []
    for r in rows:
        local_start, local_end = clock.wall(r.start_at), clock.wall(r.end_at)
        out.append(Appt(r.id, r.provider_id, r.client_id, r.status, bool(r.late_cancel), r.start_at, r.end_at,
                        r.booked_at, bool(r.telehealth), local_start.date(), _prime_minutes(local_start, local_end),
                        r.series_id is not None, r.confirmation == "confirmed"))
    return out


def _notes(s: Session, period: Period, subjects: frozenset[str], zone: ZoneInfo, *,
           cosigned_only: bool = False) -> list[NoteFact]:
    """Notes of the period's sessions, and every older note still unsigned (the backlog): two index
    range reads (author and service date; the partial index of unsigned notes), not a table scan."""
    n = Note
    columns = (n.id, n.author_id, n.client_id, n.appointment_id, n.note_type, n.service_date, n.status,
               n.signed_at, n.requires_cosign, n.cosigned_at, n.addendum_to, n.submitted_at)
    # Addenda are left out in Python, not in SQL: "addendum_to IS NULL" matches almost every note,
    # and SQLite would rather walk that index than the author's date range.
    live = (n.deleted.is_(False), n.author_id.in_(subjects))
    in_period = select(*columns).where(*live, n.service_date >= period.start, n.service_date <= period.end)
    if cosigned_only:  # what supervision note timeliness reads
        if s.get_bind().dialect.name == "sqlite":  # found in metric_note_rows' range, then read by key
            m = metric_note_rows.c
            in_period = select(*columns).where(n.deleted.is_(False), n.id.in_(select(m.note_id).where(
                m.author_id.in_(subjects), m.service_date >= period.start, m.service_date <= period.end,
                m.requires_cosign.is_(True))))
        rows = [r for r in s.execute(in_period.where(n.requires_cosign.is_(True))) if r.addendum_to is None]
    else:
        rows = [
            r for r in (
                *s.execute(in_period),
                *s.execute(select(*columns).where(*live, n.signed_at.is_(None), n.service_date < period.start)),
            ) if r.addendum_to is None
        ]
    facts = []
    for r in rows:
        authored = r.submitted_at or r.signed_at  # an associate signs by submitting for co-signature
        facts.append(NoteFact(
            r.id, r.author_id, r.client_id, r.appointment_id, r.note_type, r.service_date, r.status, authored,
            authored.astimezone(zone).date() if authored else None, bool(r.requires_cosign),
            r.cosigned_at.astimezone(zone).date() if r.cosigned_at else None))
    return facts


def _filled(column: Any) -> Any:
    return func.coalesce(column, "") != ""


# Whether the demographics are complete is asked of the database (two booleans a row instead of nine
# strings): phone, address and emergency contact; a minor's guardian is checked in Python (age).
CLIENT_COMPLETE = and_(*(_filled(c) for c in (Client.address1, Client.city, Client.state, Client.zip,
                                               Client.emergency_name, Client.emergency_phone)),
                       or_(_filled(Client.phone_mobile), _filled(Client.phone_home)))
HAS_GUARDIAN = _filled(Client.guardian_name)
_CLIENT_COLUMNS = (
    Client.id, Client.primary_clinician_id, Client.dob, Client.chart_number,
    CLIENT_COMPLETE.label("complete"), HAS_GUARDIAN.label("has_guardian"),
)


def rule_settings(s: Session) -> dict[str, dict[str, Any]]:
    """The practice's compliance settings (the defaults where it changed nothing): the currency
    metrics count by them, so that the dashboards and the compliance report agree."""
    return compliance_rules.settings_or_defaults(s.scalar(select(Practice.rule_settings)))


def consent_valid_days(s: Session) -> int:
    """How many days a signed informed consent stays current (a year unless the practice changed it)."""
    return int(rule_settings(s)["informed_consent"]["valid_days"])


def plan_current_days(s: Session) -> int:
    """How many days a signed treatment plan or review stays current (90 unless the practice changed it)."""
    return compliance_rules.plan_current_days(rule_settings(s))


def _clients(s: Session, as_of: date, subjects: frozenset[str], zone: ZoneInfo) -> list[ClientFact]:
    scoped = (Client.deleted.is_(False), Client.status == "active", Client.primary_clinician_id.in_(subjects))
    clients = s.execute(select(*_CLIENT_COLUMNS).where(*scoped)).all()
    ids = select(Client.id).where(*scoped).scalar_subquery()  # not thousands of bound parameters
    in_force: dict[str, set[str]] = defaultdict(set)
    informed: set[str] = set()
    valid_days = consent_valid_days(s)
    for row in s.execute(select(Consent.client_id, Consent.kind, Consent.signed_on, Consent.expires_on,
                                Consent.revoked_on).where(Consent.client_id.in_(ids), Consent.deleted.is_(False))):
        if (row.revoked_on is None or row.revoked_on > as_of) and (row.expires_on is None or row.expires_on >= as_of):
            in_force[row.client_id].add(row.kind)
            if row.kind == ConsentKind.INFORMED_CONSENT and (as_of - row.signed_on).days < valid_days:
                informed.add(row.client_id)
    plan_day: dict[str, date] = {}
    for client_id, signed_at in s.execute(
        select(TreatmentPlan.client_id, TreatmentPlan.signed_at).where(
            TreatmentPlan.client_id.in_(ids), TreatmentPlan.signed_at.is_not(None), TreatmentPlan.deleted.is_(False))
    ):
        if signed_at is None:
            continue
        day = signed_at.astimezone(zone).date()
        plan_day[client_id] = max(plan_day.get(client_id, day), day)
    for client_id, reviewed_on in s.execute(
        select(PlanReview.client_id, PlanReview.reviewed_on).where(
            PlanReview.client_id.in_(ids), PlanReview.signed_at.is_not(None), PlanReview.deleted.is_(False))
    ):
        plan_day[client_id] = max(plan_day.get(client_id, reviewed_on), reviewed_on)
    at_risk = set(s.scalars(select(RiskFlag.client_id).where(
        RiskFlag.client_id.in_(ids), RiskFlag.cleared_on.is_(None), RiskFlag.deleted.is_(False))))
    safety = set(s.scalars(select(SafetyPlan.client_id).where(
        SafetyPlan.client_id.in_(ids), SafetyPlan.signed_at.is_not(None), SafetyPlan.deleted.is_(False))))
    out = []
    for c in clients:
        minor = is_minor(c.dob, as_of)
        kinds = in_force[c.id]
        out.append(ClientFact(
            c.id, c.primary_clinician_id or "", minor, bool(c.complete) and (not minor or bool(c.has_guardian)),
            c.id in informed,
            ConsentKind.GUARDIAN_CONSENT in kinds, ConsentKind.TELEHEALTH_CONSENT in kinds,
            plan_day.get(c.id), c.id in at_risk, c.id in safety, c.chart_number,
        ))
    return out


def availability(s: Session, period: Period, subjects: frozenset[str],
                  zone: ZoneInfo) -> tuple[dict[str, int], dict[str, int]]:
    """Working minutes per provider over the period (weekly hours; overrides replace their days)."""
    rows = s.execute(select(ProviderAvailability).where(
        ProviderAvailability.provider_id.in_(subjects), ProviderAvailability.deleted.is_(False))).scalars().all()
    total: dict[str, int] = defaultdict(int)
    prime: dict[str, int] = defaultdict(int)
    day = period.start
    while day <= period.end:
        for provider in {r.provider_id for r in rows}:
            mine = [r for r in rows if r.provider_id == provider and (r.valid_from is None or r.valid_from <= day)
                    and (r.valid_until is None or r.valid_until >= day)]
            overrides = [r for r in mine if r.is_override]
            todays = ([r for r in overrides if r.available and r.weekday == day.weekday()] if overrides
                      else [r for r in mine if r.weekday == day.weekday()])
            for r in todays:
                start = datetime.combine(day, time.fromisoformat(r.start_time), tzinfo=zone)
                end = datetime.combine(day, time.fromisoformat(r.end_time), tzinfo=zone)
                total[provider] += _overlap_minutes(start, end, start, end)
                if day.weekday() in PRIME_DAYS:
                    lo = datetime.combine(day, PRIME_START, tzinfo=zone)
                    hi = datetime.combine(day, PRIME_END, tzinfo=zone)
                    prime[provider] += _overlap_minutes(start, end, lo, hi)
        day += timedelta(days=1)
    return dict(total), dict(prime)


def retention_candidates(s: Session, as_of: date, subjects: frozenset[str], zone: ZoneInfo, *,
                         first_visits: bool = False) -> list[tuple[str, str, date, date | None]]:
    """The subjects' active clients whose first kept session fell 90–180 days back (one kept with a
    subject in that window, none kept with anyone before it): client, clinician, that first session's
    day and their last kept session's day in the 30 days to ``as_of`` (None: not seen).

    Asked client by client through the (client, start) index: an established client's "kept before
    the window?" is answered by their first rows, so the practice's history is never read, only
    the few new clients' windows. ``first_visits`` (a desktop store): the clients whose first kept
    session falls in the window are a range of ``client_first_visits`` (kept by triggers), and only
    they are asked about."""
    a, older = Appointment, aliased(Appointment)
    window_lo, window_hi = _instant(as_of - timedelta(days=180), zone), _instant(as_of - timedelta(days=89), zone)
    recent_lo, recent_hi = _instant(as_of - timedelta(days=30), zone), _instant(as_of + timedelta(days=1), zone)
    kept_live = (a.status.in_(KEPT), a.deleted.is_(False))
    first = (select(func.min(a.start_at)).where(a.client_id == Client.id, a.start_at >= window_lo,
                                                a.start_at < window_hi, a.provider_id.in_(subjects), *kept_live)
             .scalar_subquery())
    earlier = exists().where(older.client_id == Client.id, older.start_at < window_lo, older.status.in_(KEPT),
                             older.deleted.is_(False))
    chosen = select(Client.id.label("client_id"), Client.primary_clinician_id.label("clinician_id"),
                    first.label("first_at")).where(
        Client.deleted.is_(False), Client.status == "active", Client.primary_clinician_id.in_(subjects))
    if first_visits:  # nothing kept before the window, and something in it: the first kept falls in it
        f = client_first_visits.c
        new_ones = list(s.scalars(select(f.client_id).where(f.first_kept_at >= window_lo, f.first_kept_at < window_hi)))
        if not new_ones:
            return []
        chosen = chosen.where(Client.id.in_(new_ones))  # a few, by key: whatever the planner knows of the tables
    else:
        chosen = chosen.where(~earlier)
    candidates = chosen.subquery()
    recent = (select(func.max(a.start_at)).where(a.client_id == candidates.c.client_id, a.start_at >= recent_lo,
                                                 a.start_at < recent_hi, *kept_live).scalar_subquery())
    return [
        (str(r.client_id), str(r.clinician_id), r.first_at.astimezone(zone).date(),
         r.recent_at.astimezone(zone).date() if r.recent_at is not None else None)
        for r in s.execute(select(candidates.c.client_id, candidates.c.clinician_id, candidates.c.first_at,
                                  recent.label("recent_at")).where(candidates.c.first_at.is_not(None)))
    ]


def _retention(
    s: Session, as_of: date, subjects: frozenset[str], zone: ZoneInfo
) -> tuple[dict[str, date], dict[str, date]]:
    """Clients whose first kept session fell 90–180 days back, and which of them were seen in the last 30."""
    rows = retention_candidates(s, as_of, subjects, zone)
    return ({client: first for client, _, first, _ in rows},
            {client: recent for client, _, _, recent in rows if recent is not None})


def _supervision(s: Session, period: Period, supervised: frozenset[str]) -> list[SupervisionFact]:
    if not supervised:
        return []
    r = SupervisionSession
    return [SupervisionFact(*row) for row in s.execute(
        select(r.id, r.supervisee_id, r.held_on, r.minutes, r.kind).where(
            r.supervisee_id.in_(supervised), r.held_on >= period.start, r.held_on <= period.end,
            r.signed_at.is_not(None), r.deleted.is_(False)))]


def fetch_facts(s: Session, *, period: Period, today: date, subjects: frozenset[str], zone: ZoneInfo,
                supervised_licenses: frozenset[str] = frozenset(), light: bool = False) -> Facts:
    """``supervised_licenses``: the licenses that require monthly supervision (compliance settings).
    ``light``: only what the light metrics read (metric_rules.LIGHT_METRICS): staff, supervision,
    availability and the co-signed notes, not the appointments, clients and backlog."""
    as_of = min(period.end, today)
    settings = rule_settings(s)
    facts = Facts(period=period, as_of=as_of, subjects=subjects,
                  plan_current_days=compliance_rules.plan_current_days(settings),
                  training_valid_days=compliance_rules.training_valid_days(settings))
    if light:
        facts.notes = _notes(s, period, subjects, zone, cosigned_only=True)
    else:
        lo, hi = _instant(period.start, zone), _instant(period.end + timedelta(days=1), zone)
        later_hi = _instant(period.end + timedelta(days=31), zone)
        facts.appointments = _appointments(s, lo, hi, subjects, zone)
        facts.later_appointments = _appointments(s, hi, later_hi, subjects, zone)
        facts.notes = _notes(s, period, subjects, zone)
        facts.clients = _clients(s, as_of, subjects, zone)
        facts.first_kept, facts.last_kept_recent = _retention(s, as_of, subjects, zone)
    staff = s.execute(select(User.id, User.hipaa_training_on, User.full_name, User.license_type).where(
        User.id.in_(subjects), User.deleted.is_(False))).all()
    facts.staff = [StaffFact(u.id, u.hipaa_training_on, u.full_name) for u in staff]
    facts.supervised = frozenset(u.id for u in staff if u.license_type in supervised_licenses)
    facts.supervision = _supervision(s, period, facts.supervised)
    facts.available_minutes, facts.prime_available_minutes = availability(s, period, subjects, zone)
    return facts
