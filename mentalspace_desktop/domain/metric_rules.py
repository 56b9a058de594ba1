"""How each metric counts: one small function per metric over facts fetched once for every clinician.

The metric service fetches the period's facts in a few set-based queries (appointments, notes,
clients, staff, availability) and hands them here. Each function yields one
:class:`Contribution` per record it looks at — whose metric it counts toward, what it adds to the
numerator and the denominator, and the record itself — so the same pass gives the dashboard's
figure and, on request, the rows behind it. Adding a metric takes one definition in
``resources/metrics.json`` and one function registered with :func:`metric`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from mentalspace_desktop.domain import compliance as compliance_rules
from mentalspace_desktop.domain.metrics import MetricValue, Period

KEPT = frozenset({"completed", "checked_in"})
HOLDS_TIME = frozenset({"scheduled", "confirmed", "checked_in", "completed", "no_show"})
CRISIS_NOTE_TYPES = frozenset({"crisis", "crisis_intervention"})
SIGNED = "signed"
# Signed by their author: an associate's note awaiting co-signature counts (its timeliness is the
# supervision metric's business, not the author's backlog).
AUTHOR_SIGNED = frozenset({"signed", "in_review"})
BACKLOG_DAYS = 7
REBOOK_DAYS = 30


class Appt(NamedTuple):
    id: str
    provider_id: str
    client_id: str | None
    status: str
    late_cancel: bool
    start_at: datetime
    end_at: datetime
    booked_at: datetime | None
    telehealth: bool
    local_day: date  # the session's date in the practice's time zone
    prime_minutes: int  # minutes of the session inside Monday–Thursday 9:00–17:00, local
    recurring: bool = False  # an occurrence of a series (booked once, long before)
    confirmed: bool = False  # the client confirmed it: by replying to a reminder, or to the front desk

    @property
    def minutes(self) -> int:
        return int((self.end_at - self.start_at).total_seconds() // 60)

    @property
    def label(self) -> str:
        return f"Appointment {self.local_day.isoformat()} ({self.status.replace('_', ' ')})"


class NoteFact(NamedTuple):
    id: str
    author_id: str
    client_id: str
    appointment_id: str | None
    note_type: str
    service_date: date
    status: str
    signed_at: datetime | None  # its author's signature (an associate's: submitted for co-signature)
    signed_local_day: date | None
    requires_cosign: bool
    cosigned_local_day: date | None

    @property
    def label(self) -> str:
        return f"{self.note_type.replace('_', ' ').capitalize()} note of {self.service_date.isoformat()}"


class ClientFact(NamedTuple):
    id: str
    clinician_id: str
    minor: bool
    complete_demographics: bool
    informed_consent_current: bool
    guardian_consent_current: bool
    telehealth_consent_current: bool
    plan_last_signed: date | None  # the plan's signature or its latest signed review
    at_risk: bool
    safety_plan_signed: bool
    label: str  # chart number: the evidence list names the chart, the screen adds the name


class StaffFact(NamedTuple):
    id: str
    hipaa_training_on: date | None
    label: str


class SupervisionFact(NamedTuple):
    """A signed supervision session of a supervisee, held in the period."""

    id: str
    supervisee_id: str
    held_on: date
    minutes: int
    kind: str

    @property
    def label(self) -> str:
        return f"{self.kind.capitalize()} supervision {self.held_on.isoformat()} ({self.minutes} min)"


@dataclass
class Facts:
    """Everything the metrics of one period read, fetched once for every subject at a time."""

    period: Period
    as_of: date  # the period's end, or today when the period has not ended yet
    subjects: frozenset[str]  # the clinicians being measured
    appointments: list[Appt] = field(default_factory=list)  # start in the period
    later_appointments: list[Appt] = field(default_factory=list)  # after the period, within 30 days
    notes: list[NoteFact] = field(default_factory=list)  # service date in the period, or unsigned
    clients: list[ClientFact] = field(default_factory=list)  # active clients of the subjects
    staff: list[StaffFact] = field(default_factory=list)
    available_minutes: dict[str, int] = field(default_factory=dict)  # provider → working minutes
    prime_available_minutes: dict[str, int] = field(default_factory=dict)
    first_kept: dict[str, date] = field(default_factory=dict)  # client → first kept session ever
    last_kept_recent: dict[str, date] = field(default_factory=dict)  # client → last kept in 30 days to as_of
    supervised: frozenset[str] = frozenset()  # subjects whose license requires monthly supervision
    supervision: list[SupervisionFact] = field(default_factory=list)  # signed sessions in the period
    # The practice's compliance settings (domain.compliance), so the currency metrics count what the
    # compliance report counts: a signed plan is current this many days, a training this many.
    plan_current_days: int = compliance_rules.plan_current_days(compliance_rules.DEFAULT_RULES)
    training_valid_days: int = compliance_rules.training_valid_days(compliance_rules.DEFAULT_RULES)


class Contribution(NamedTuple):
    """One record counted toward one subject's value. Tuples, not objects: a month of a large
    practice is tens of thousands of them per metric."""

    subject_id: str
    numerator: float
    denominator: float
    record_type: str
    record_id: str
    what: Any  # words naming the record, or the record itself (its ``label``, worked out only when shown)

    @property
    def label(self) -> str:
        return self.what if isinstance(self.what, str) else str(self.what.label)


MetricFn = Callable[[Facts], Iterable[Contribution]]
REGISTRY: dict[str, MetricFn] = {}
COUNT_METRICS: set[str] = set()  # a subject with nothing counted shows 0, not "no data"


# Metrics whose functions read only the period's staff, supervision sessions and co-signed notes:
# the facts they need are a few small reads (metric_facts.fetch_facts(light=True)).
LIGHT_METRICS = frozenset({"supervision_hours", "supervision_note_timeliness", "hipaa_training_currency"})


def metric(metric_id: str, *, count: bool = False) -> Callable[[MetricFn], MetricFn]:
    def register(fn: MetricFn) -> MetricFn:
        REGISTRY[metric_id] = fn
        if count:
            COUNT_METRICS.add(metric_id)
        return fn
    return register


def _appt(a: Appt, num: float, den: float = 1) -> Contribution:
    return Contribution(a.provider_id, num, den, "appointment", a.id, a)


def _due(f: Facts) -> Iterator[Appt]:
    """Sessions that were due to happen: kept, missed or cancelled too late, up to ``as_of``."""
    for a in f.appointments:
        if a.client_id and a.local_day <= f.as_of and (
            a.status in KEPT or a.status == "no_show" or (a.status == "cancelled" and a.late_cancel)
        ):
            yield a


@metric("kept_visit_rate")
def kept_visit_rate(f: Facts) -> Iterator[Contribution]:
    return (_appt(a, a.status in KEPT) for a in _due(f))


@metric("no_show_rate")
def no_show_rate(f: Facts) -> Iterator[Contribution]:
    return (_appt(a, a.status == "no_show") for a in _due(f))


@metric("cancellation_rate")
def cancellation_rate(f: Facts) -> Iterator[Contribution]:
    return (_appt(a, a.status == "cancelled") for a in f.appointments if a.status != "rescheduled")


@metric("sessions_per_day")
def sessions_per_day(f: Facts) -> Iterator[Contribution]:
    days: set[tuple[str, date]] = set()
    for a in f.appointments:
        if a.status in KEPT:
            first_of_day = (a.provider_id, a.local_day) not in days
            days.add((a.provider_id, a.local_day))
            yield _appt(a, 1, 1 if first_of_day else 0)


@metric("average_lead_time")
def average_lead_time(f: Facts) -> Iterator[Contribution]:
    """How far ahead single bookings are made; a weekly series' later sessions would say only how long
    ago the series was set up."""
    for a in f.appointments:
        if a.booked_at is not None and not a.recurring and a.status != "rescheduled" and a.booked_at <= a.start_at:
            yield _appt(a, (a.start_at - a.booked_at).total_seconds() / 86400)


@metric("confirmation_rate")
def confirmation_rate(f: Facts) -> Iterator[Contribution]:
    """Of the sessions that stayed on the books until their day (what a reminder or the front desk's
    call goes out for), the share the client confirmed. Rescheduled ones and those cancelled with
    notice left the books early: nobody asks to confirm them."""
    for a in f.appointments:
        if a.client_id and (a.status in HOLDS_TIME or (a.status == "cancelled" and a.late_cancel)):
            yield _appt(a, a.confirmed)


@metric("rebook_rate")
def rebook_rate(f: Facts) -> Iterator[Contribution]:
    """A client seen in the period counts once, toward the provider of their last visit there."""
    last: dict[str, Appt] = {}
    for a in sorted(f.appointments, key=lambda a: (a.start_at, a.id)):  # two at once: the later id
        if a.client_id and a.status in KEPT:
            last[a.client_id] = a
    booked: dict[str, list[datetime]] = {}
    for a in (*f.appointments, *f.later_appointments):
        if a.client_id and a.status in HOLDS_TIME:
            booked.setdefault(a.client_id, []).append(a.start_at)
    for client_id, visit in last.items():
        limit = visit.start_at + timedelta(days=REBOOK_DAYS)
        rebooked = any(visit.start_at < start <= limit for start in booked.get(client_id, ()))
        yield Contribution(visit.provider_id, rebooked, 1, "client", client_id, f"Last visit {visit.local_day}")


def notes_by_appointment(notes: Iterable[NoteFact]) -> dict[str, NoteFact]:
    """The note of each session: its first (lowest id, ids are time-ordered) when it has several."""
    by_appt: dict[str, NoteFact] = {}
    for n in notes:
        if n.appointment_id and (n.appointment_id not in by_appt or n.id < by_appt[n.appointment_id].id):
            by_appt[n.appointment_id] = n
    return by_appt


def _kept_with_notes(f: Facts) -> Iterator[tuple[Appt, NoteFact | None]]:
    by_appt = notes_by_appointment(f.notes)
    for a in f.appointments:
        if a.client_id and a.status in KEPT:
            yield a, by_appt.get(a.id)


@metric("same_day_documentation_rate")
def same_day_documentation_rate(f: Facts) -> Iterator[Contribution]:
    for a, note in _kept_with_notes(f):
        same_day = note is not None and note.status in AUTHOR_SIGNED and note.signed_local_day == a.local_day
        yield _appt(a, same_day)


@metric("average_documentation_time")
def average_documentation_time(f: Facts) -> Iterator[Contribution]:
    for a, note in _kept_with_notes(f):
        if note is not None and note.signed_at is not None:
            yield _appt(a, max(0.0, (note.signed_at - a.end_at).total_seconds() / 3600))


@metric("unsigned_note_backlog", count=True)
def unsigned_note_backlog(f: Facts) -> Iterator[Contribution]:
    """Sessions more than 7 days old at ``as_of`` whose note is not signed: a draft, or none yet."""
    limit = f.as_of - timedelta(days=BACKLOG_DAYS)
    for n in f.notes:
        if n.status not in AUTHOR_SIGNED and n.service_date < limit:
            yield Contribution(n.author_id, 1, 0, "note", n.id, n)
    for a, note in _kept_with_notes(f):
        if note is None and a.local_day < limit:
            yield Contribution(a.provider_id, 1, 0, "appointment", a.id, f"{a.label}: no note")


@metric("crisis_intervention_rate")
def crisis_intervention_rate(f: Facts) -> Iterator[Contribution]:
    for a, note in _kept_with_notes(f):
        yield _appt(a, note is not None and note.note_type in CRISIS_NOTE_TYPES)


@metric("supervision_note_timeliness")
def supervision_note_timeliness(f: Facts) -> Iterator[Contribution]:
    """Counted once its 7 days are over (or it was co-signed): a note still inside them is not late."""
    for n in f.notes:
        if n.requires_cosign and f.period.contains(n.service_date):
            days = None if n.cosigned_local_day is None else (n.cosigned_local_day - n.service_date).days
            if days is None and (f.as_of - n.service_date).days <= 7:
                continue
            yield Contribution(n.author_id, days is not None and days <= 7, 1, "note", n.id, n)


def _client(c: ClientFact, ok: bool) -> Contribution:
    return Contribution(c.clinician_id, ok, 1, "client", c.id, c)


@metric("informed_consent_currency")
def informed_consent_currency(f: Facts) -> Iterator[Contribution]:
    return (_client(c, c.informed_consent_current) for c in f.clients)


@metric("minor_consent_compliance")
def minor_consent_compliance(f: Facts) -> Iterator[Contribution]:
    return (_client(c, c.guardian_consent_current) for c in f.clients if c.minor)


@metric("telehealth_consent_compliance")
def telehealth_consent_compliance(f: Facts) -> Iterator[Contribution]:
    seen_by_video = {a.client_id for a in f.appointments if a.telehealth and a.status in KEPT}
    return (_client(c, c.telehealth_consent_current) for c in f.clients if c.id in seen_by_video)


@metric("complete_demographics_rate")
def complete_demographics_rate(f: Facts) -> Iterator[Contribution]:
    return (_client(c, c.complete_demographics) for c in f.clients)


@metric("treatment_plan_currency")
def treatment_plan_currency(f: Facts) -> Iterator[Contribution]:
    for c in f.clients:
        current = c.plan_last_signed is not None and (f.as_of - c.plan_last_signed).days <= f.plan_current_days
        yield _client(c, current)


@metric("safety_plan_compliance")
def safety_plan_compliance(f: Facts) -> Iterator[Contribution]:
    return (_client(c, c.safety_plan_signed) for c in f.clients if c.at_risk)


@metric("client_retention_90d")
def client_retention_90d(f: Facts) -> Iterator[Contribution]:
    """Clients who started 90–180 days before ``as_of``: still seen in the last 30 days?"""
    clinician_of = {c.id: c.clinician_id for c in f.clients}
    for client_id, first in f.first_kept.items():
        age = (f.as_of - first).days
        if 90 <= age <= 180 and client_id in clinician_of:
            yield Contribution(clinician_of[client_id], client_id in f.last_kept_recent, 1, "client", client_id,
                               f"First session {first.isoformat()}")


@metric("schedule_fill_rate")
def schedule_fill_rate(f: Facts) -> Iterator[Contribution]:
    for provider, minutes in f.available_minutes.items():
        yield Contribution(provider, 0, minutes / 60, "user", provider, "Working hours")
    for a in f.appointments:
        if a.status in HOLDS_TIME and a.provider_id in f.available_minutes:
            yield _appt(a, a.minutes / 60, 0)


@metric("prime_time_utilization")
def prime_time_utilization(f: Facts) -> Iterator[Contribution]:
    for provider, minutes in f.prime_available_minutes.items():
        yield Contribution(provider, 0, minutes / 60, "user", provider, "Prime-time working hours")
    for a in f.appointments:
        if a.status in HOLDS_TIME and a.prime_minutes and a.provider_id in f.prime_available_minutes:
            yield _appt(a, a.prime_minutes / 60, 0)


AVERAGE_MONTH_DAYS = 365.25 / 12


@metric("supervision_hours")
def supervision_hours(f: Facts) -> Iterator[Contribution]:
    """Signed supervision hours per month of the period, for those whose license requires it: the
    denominator is the period's length in months, so a week, a month and a quarter read alike and a
    team's figure is its associates' hours over their months."""
    months = f.period.days / AVERAGE_MONTH_DAYS
    for subject in sorted(f.supervised):
        yield Contribution(subject, 0, months, "user", subject, f"{f.period.days} days = {months:.2f} months")
    for row in f.supervision:
        if row.supervisee_id in f.supervised:
            yield Contribution(row.supervisee_id, row.minutes / 60, 0, "supervision_session", row.id, row)


@metric("hipaa_training_currency")
def hipaa_training_currency(f: Facts) -> Iterator[Contribution]:
    for s in f.staff:
        current = s.hipaa_training_on is not None and (f.as_of - s.hipaa_training_on).days < f.training_valid_days
        yield Contribution(s.id, current, 1, "user", s.id, s.label)


def evaluate(facts: Facts, metric_ids: Iterable[str]) -> list[MetricValue]:
    """Every metric for every subject: numerators and denominators summed over the contributions."""
    out: list[MetricValue] = []
    for metric_id in metric_ids:
        sums: dict[str, list[float]] = {}
        if metric_id in COUNT_METRICS:
            sums = {s: [0.0, 1.0] for s in facts.subjects}
        for c in REGISTRY[metric_id](facts):
            if c.subject_id not in facts.subjects:
                continue
            pair = sums.setdefault(c.subject_id, [0.0, 0.0])
            pair[0] += c.numerator
            pair[1] += 0 if metric_id in COUNT_METRICS else c.denominator
        out.extend(MetricValue(metric_id, subject, num, den) for subject, (num, den) in sorted(sums.items()))
    return out


def evidence(facts: Facts, metric_id: str, subject_id: str) -> list[Contribution]:
    """The records behind one subject's value of one metric, in the order they were counted."""
    return [c for c in REGISTRY[metric_id](facts) if c.subject_id == subject_id]
