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

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from mentalspace_desktop.domain.clients import ConsentKind, is_minor
from mentalspace_desktop.domain.data_quality import missing_demographics
from mentalspace_desktop.domain.metric_rules import KEPT, Appt, ClientFact, Facts, NoteFact, StaffFact
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.store.chart_models import PlanReview, RiskFlag, SafetyPlan, TreatmentPlan
from mentalspace_desktop.store.models import Client, Consent, Note, User
from mentalspace_desktop.store.scheduling_models import Appointment, ProviderAvailability

PRIME_DAYS = frozenset({0, 1, 2, 3})  # Monday to Thursday
PRIME_START, PRIME_END = time(9), time(17)
CONSENT_YEAR = 365


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _overlap_minutes(start: datetime, end: datetime, lo: datetime, hi: datetime) -> int:
    return max(0, int((min(end, hi) - max(start, lo)).total_seconds() // 60))


def _prime_minutes(start: datetime, end: datetime, zone: ZoneInfo) -> int:
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    if local_start.weekday() not in PRIME_DAYS:
        return 0
    day = local_start.date()
    lo = datetime.combine(day, PRIME_START, tzinfo=zone)
    hi = datetime.combine(day, PRIME_END, tzinfo=zone)
    return _overlap_minutes(local_start, local_end, lo, hi)


def _appointments(s: Session, lo: datetime, hi: datetime, subjects: frozenset[str], zone: ZoneInfo) -> list[Appt]:
    a = Appointment
    rows = s.execute(
        select(a.id, a.provider_id, a.client_id, a.status, a.late_cancel, a.start_at, a.end_at, a.booked_at,
               a.telehealth, a.series_id)
        .where(a.start_at >= lo, a.start_at < hi, a.deleted.is_(False), a.provider_id.in_(subjects))
    )
    return [
        Appt(r.id, r.provider_id, r.client_id, r.status, bool(r.late_cancel), r.start_at, r.end_at, r.booked_at,
             bool(r.telehealth), r.start_at.astimezone(zone).date(), _prime_minutes(r.start_at, r.end_at, zone),
             r.series_id is not None)
        for r in rows
    ]


def _notes(s: Session, period: Period, subjects: frozenset[str], zone: ZoneInfo) -> list[NoteFact]:
    """Notes of the period's sessions, and every older note still unsigned (the backlog): two index
    range reads (author and service date; the partial index of unsigned notes), not a table scan."""
    n = Note
    columns = (n.id, n.author_id, n.client_id, n.appointment_id, n.note_type, n.service_date, n.status,
               n.signed_at, n.requires_cosign, n.cosigned_at, n.addendum_to, n.submitted_at)
    # Addenda are left out in Python, not in SQL: "addendum_to IS NULL" matches almost every note,
    # and SQLite would rather walk that index than the author's date range.
    live = (n.deleted.is_(False), n.author_id.in_(subjects))
    rows = [
        r for r in (
            *s.execute(select(*columns).where(*live, n.service_date >= period.start, n.service_date <= period.end)),
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


_CLIENT_COLUMNS = (Client.id, Client.primary_clinician_id, Client.dob, Client.chart_number, Client.address1,
                   Client.city, Client.state, Client.zip, Client.emergency_name, Client.emergency_phone,
                   Client.phone_mobile, Client.phone_home, Client.guardian_name)


def _complete(c: Any, minor: bool) -> bool:
    return not missing_demographics(c, minor)


def _clients(s: Session, as_of: date, subjects: frozenset[str], zone: ZoneInfo) -> list[ClientFact]:
    scoped = (Client.deleted.is_(False), Client.status == "active", Client.primary_clinician_id.in_(subjects))
    clients = s.execute(select(*_CLIENT_COLUMNS).where(*scoped)).all()
    ids = select(Client.id).where(*scoped).scalar_subquery()  # not thousands of bound parameters
    in_force: dict[str, set[str]] = defaultdict(set)
    informed: set[str] = set()
    for row in s.execute(select(Consent.client_id, Consent.kind, Consent.signed_on, Consent.expires_on,
                                Consent.revoked_on).where(Consent.client_id.in_(ids), Consent.deleted.is_(False))):
        if (row.revoked_on is None or row.revoked_on > as_of) and (row.expires_on is None or row.expires_on >= as_of):
            in_force[row.client_id].add(row.kind)
            if row.kind == ConsentKind.INFORMED_CONSENT and (as_of - row.signed_on).days < CONSENT_YEAR:
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
            c.id, c.primary_clinician_id or "", minor, _complete(c, minor), c.id in informed,
            ConsentKind.GUARDIAN_CONSENT in kinds, ConsentKind.TELEHEALTH_CONSENT in kinds,
            plan_day.get(c.id), c.id in at_risk, c.id in safety, c.chart_number,
        ))
    return out


def _availability(s: Session, period: Period, subjects: frozenset[str],
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


def _retention(
    s: Session, as_of: date, subjects: frozenset[str], zone: ZoneInfo
) -> tuple[dict[str, date], dict[str, date]]:
    """Clients whose first kept session fell 90–180 days back, and which of them were seen in the last 30.

    "First ever" is asked as "none kept before the window" with EXISTS, which stops at the first
    older visit it finds in the client's index range instead of reading their whole history.
    """
    a, older = Appointment, aliased(Appointment)
    window_lo, window_hi = _instant(as_of - timedelta(days=180), zone), _instant(as_of - timedelta(days=89), zone)
    earlier = exists().where(older.client_id == a.client_id, older.start_at < window_lo, older.status.in_(KEPT),
                             older.deleted.is_(False))
    first = {
        str(client_id): start.astimezone(zone).date()
        for client_id, start in s.execute(
            select(a.client_id, func.min(a.start_at)).where(
                a.start_at >= window_lo, a.start_at < window_hi, a.status.in_(KEPT), a.deleted.is_(False),
                a.provider_id.in_(subjects), a.client_id.is_not(None), ~earlier).group_by(a.client_id))
    }
    recent_lo, recent_hi = _instant(as_of - timedelta(days=30), zone), _instant(as_of + timedelta(days=1), zone)
    recent = {
        str(client_id): start.astimezone(zone).date()
        for client_id, start in s.execute(select(a.client_id, func.max(a.start_at)).where(
            a.client_id.in_(list(first)), a.status.in_(KEPT), a.deleted.is_(False),
            a.start_at >= recent_lo, a.start_at < recent_hi).group_by(a.client_id))
    }
    return first, recent


def fetch_facts(s: Session, *, period: Period, today: date, subjects: frozenset[str], zone: ZoneInfo) -> Facts:
    as_of = min(period.end, today)
    lo, hi = _instant(period.start, zone), _instant(period.end + timedelta(days=1), zone)
    later_hi = _instant(period.end + timedelta(days=31), zone)
    facts = Facts(period=period, as_of=as_of, subjects=subjects)
    facts.appointments = _appointments(s, lo, hi, subjects, zone)
    facts.later_appointments = _appointments(s, hi, later_hi, subjects, zone)
    facts.notes = _notes(s, period, subjects, zone)
    facts.clients = _clients(s, as_of, subjects, zone)
    facts.staff = [StaffFact(u.id, u.hipaa_training_on, u.full_name) for u in s.execute(
        select(User).where(User.id.in_(subjects), User.deleted.is_(False))).scalars()]
    facts.available_minutes, facts.prime_available_minutes = _availability(s, period, subjects, zone)
    facts.first_kept, facts.last_kept_recent = _retention(s, as_of, subjects, zone)
    return facts
