"""The database counts (services/metric_counts.py) give every metric exactly what its function gives.

Practices are generated at random (seeded) in a real encrypted store: appointments of every status
around a period that crosses the end of daylight saving time, sessions at midnight and across prime
time's edges, notes signed on and after the day, two notes for one session, addenda, drafts older
than the period, associates' notes awaiting co-signature, consents in force, expired and revoked,
minors, plans and reviews either side of the 90 days, risk flags and safety plans, availability and
supervision. Each metric is then computed both ways: the reference, ``metric_rules.evaluate`` over
``fetch_facts`` (what ``explain`` lists), and ``metric_counts.count`` (what the dashboards show),
for the whole practice and for one clinician.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import insert, select, update

from mentalspace_desktop.domain import metric_rules
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.metric_rules import Facts
from mentalspace_desktop.domain.metrics import MetricValue, Period
from mentalspace_desktop.services import metric_counts, metrics
from mentalspace_desktop.services.metric_facts import fetch_facts
from mentalspace_desktop.store.chart_models import PlanReview, RiskFlag, SafetyPlan, TreatmentPlan
from mentalspace_desktop.store.models import Client, Consent, Note, Practice
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentSeries,
    AppointmentType,
    ProviderAvailability,
)
from mentalspace_desktop.store.supervision_models import SupervisionSession
from tests.factories import PracticeFixture

ET = ZoneInfo("America/New_York")
STATUSES = ["completed"] * 6 + ["checked_in", "no_show", "no_show", "cancelled", "cancelled", "rescheduled",
                                "scheduled", "confirmed"]
NOTE_STATUSES = ["signed"] * 5 + ["draft", "draft", "in_review", "returned"]
PERIODS = (Period(date(2026, 10, 15), date(2026, 11, 14)), Period(date(2026, 11, 2), date(2026, 11, 8)),
           Period(date(2026, 9, 1), date(2026, 9, 30)))  # the last with one UTC offset throughout
TODAY = date(2026, 11, 10)  # inside the first period: "as of" is today, not the period's end


def _instant(day: date, hour: float) -> datetime:
    return (datetime.combine(day, time(), tzinfo=ET) + timedelta(hours=hour)).astimezone(UTC)


def _generate(practice: PracticeFixture, seed: int) -> None:
    rnd = random.Random(seed)
    providers = [practice.users[k] for k in ("clinician", "other_clinician", "supervisor")]
    base = date(2026, 7, 1)
    store = practice.admin.store
    with store.engine.begin() as conn:
        type_id, series_id = new_id(), new_id()
        conn.execute(insert(AppointmentType), [{"id": type_id, "name": "Individual", "category": "individual",
                                                "default_minutes": 50, "deleted": False}])
        conn.execute(insert(AppointmentSeries), [{
            "id": series_id, "client_id": None, "provider_id": providers[0], "type_id": type_id, "deleted": False,
            "rrule": "FREQ=WEEKLY", "start_local": datetime(2026, 7, 1, 10), "minutes": 50,
            "time_zone": "America/New_York", "telehealth": False, "exdates": "[]"}])
        clients, rows = [], []
        for i in range(36):
            cid = new_id()
            clients.append(cid)
            full = rnd.random() < 0.6
            rows.append({
                "id": cid, "chart_number": f"C{i:04d}", "first_name": "A", "last_name": "B",
                "dob": date(2009 + rnd.randint(-2, 1), 11, rnd.choice([1, 8, 9, 10, 11, 12])) if i % 4 == 0
                else date(1980, 1, 1),
                "status": "active" if i % 9 else "inactive", "preferred_language": "English",
                "uses_telehealth": False, "deleted": i == 35, "primary_clinician_id": rnd.choice(providers + [None]),
                "last_key": "b", "first_key": "a", "address1": "1 Main" if full else "", "city": "Atlanta",
                "state": "GA", "zip": "30301", "emergency_name": "E" if full or rnd.random() < 0.3 else None,
                "emergency_phone": "404", "phone_mobile": "404" if rnd.random() < 0.8 else None,
                "guardian_name": "G" if rnd.random() < 0.5 else None,
            })
        conn.execute(insert(Client), rows)
        consents = []
        for cid in clients:
            for kind in ("informed_consent", "guardian_consent", "telehealth_consent"):
                if rnd.random() < 0.6:
                    consents.append({"id": new_id(), "client_id": cid, "kind": kind, "deleted": rnd.random() < 0.05,
                                     "signed_on": TODAY - timedelta(days=rnd.choice([10, 200, 364, 365, 366, 400])),
                                     "expires_on": rnd.choice([None, TODAY, TODAY - timedelta(days=1)]),
                                     "revoked_on": rnd.choice([None, None, TODAY, TODAY + timedelta(days=1)])})
        conn.execute(insert(Consent), consents)
        for cid in clients:
            if rnd.random() < 0.6:
                plan_id = new_id()
                signed = rnd.choice([None, _instant(TODAY - timedelta(days=rnd.choice([30, 89, 90, 91, 120])), 23.5)])
                conn.execute(insert(TreatmentPlan), [{
                    "id": plan_id, "client_id": cid, "author_id": providers[0], "starts_on": base, "deleted": False,
                    "review_due_on": base, "content": "", "status": "signed" if signed else "draft",
                    "signed_at": signed}])
                if rnd.random() < 0.4:
                    conn.execute(insert(PlanReview), [{
                        "id": new_id(), "plan_id": plan_id, "client_id": cid, "text": "", "deleted": False,
                        "reviewed_on": TODAY - timedelta(days=rnd.choice([60, 90, 91, 150])), "next_review_on": TODAY,
                        "signed_at": rnd.choice([None, _instant(TODAY, 9)])}])
            if rnd.random() < 0.3:
                conn.execute(insert(RiskFlag), [{"id": new_id(), "client_id": cid, "flagged_on": base, "reason": "",
                                                 "flagged_by": providers[0], "deleted": False,
                                                 "cleared_on": rnd.choice([None, None, TODAY])}])
                if rnd.random() < 0.5:
                    conn.execute(insert(SafetyPlan), [{"id": new_id(), "client_id": cid, "author_id": providers[0],
                                                       "content": "", "deleted": False, "status": "signed",
                                                       "signed_at": rnd.choice([None, _instant(TODAY, 9)])}])
        appts, notes = [], []
        for _ in range(420):
            day = base + timedelta(days=rnd.randint(0, 170))
            hour = rnd.choice([0, 7.5, 8.75, 9, 10, 13, 16.5, 16.75, 23.5])
            start = _instant(day, hour)
            minutes = rnd.choice([45, 50, 60, 90])
            status = rnd.choice(STATUSES)
            client = rnd.choice(clients + [None])
            appt_id = new_id()
            appts.append({
                "id": appt_id, "client_id": client, "provider_id": rnd.choice(providers), "type_id": type_id,
                "start_local": start.astimezone(ET).replace(tzinfo=None), "time_zone": "America/New_York",
                "start_at": start, "end_at": start + timedelta(minutes=minutes), "status": status,
                "late_cancel": status == "cancelled" and rnd.random() < 0.5, "telehealth": rnd.random() < 0.2,
                "booked_at": rnd.choice([None, start - timedelta(days=rnd.randint(0, 40), minutes=7),
                                         start + timedelta(hours=1)]),
                "series_id": series_id if rnd.random() < 0.2 else None, "deleted": rnd.random() < 0.03,
                "buffer_before": 0, "buffer_after": 0,
                "confirmation": rnd.choice(["confirmed", "unconfirmed", "declined"]),
            })
            if client and status in ("completed", "checked_in") and rnd.random() < 0.85:
                for _copy in range(2 if rnd.random() < 0.1 else 1):
                    notes.append(_note(rnd, client, appt_id, day, start, providers))
        for _ in range(30):  # notes without a session, drafts long past, addenda
            client = rnd.choice(clients)
            day = base + timedelta(days=rnd.randint(0, 170))
            note = _note(rnd, client, None, day, _instant(day, 10), providers)
            if rnd.random() < 0.3 and notes:
                note["addendum_to"] = rnd.choice(notes)["id"]
            notes.append(note)
        conn.execute(insert(Appointment), appts)
        conn.execute(insert(Note), notes)
        conn.execute(insert(ProviderAvailability), [
            {"id": new_id(), "provider_id": p, "weekday": wd, "start_time": rnd.choice(["08:00", "09:00", "12:30"]),
             "end_time": rnd.choice(["17:00", "18:30"]), "valid_from": None, "valid_until": None,
             "is_override": False, "available": True, "deleted": False}
            for p in providers[:2] for wd in range(5)])
        conn.execute(insert(SupervisionSession), [
            {"id": new_id(), "supervisor_id": practice.users["supervisor"],
             "supervisee_id": practice.users["clinician"],
             "held_on": date(2026, 11, d), "minutes": 60 + d, "kind": "individual", "topics": "", "deleted": False,
             "signed_at": _instant(date(2026, 11, d), 12) if d % 2 else None} for d in (3, 5, 9)])


def _note(rnd: random.Random, client: str, appt_id: str | None, day: date, start: datetime,
          providers: list[str]) -> dict[str, object]:
    status = rnd.choice(NOTE_STATUSES)
    signed = start + timedelta(hours=rnd.choice([1, 5, 13.5, 30, 200])) if status != "draft" else None
    cosign = rnd.random() < 0.3
    return {"id": new_id(), "client_id": client, "author_id": rnd.choice(providers), "appointment_id": appt_id,
            "note_type": rnd.choice(["progress", "progress", "crisis", "crisis_intervention"]),
            "service_date": day, "status": status, "signed_at": signed if status == "signed" else None,
            "submitted_at": signed if status in ("in_review", "returned") else None,
            "signed_by": None, "deleted": rnd.random() < 0.03, "requires_cosign": cosign,
            "cosigned_at": start + timedelta(days=rnd.choice([2, 7, 9])) if cosign and rnd.random() < 0.6 else None}


def assert_counts_as_functions(facts: Facts, counted: list[MetricValue], wanted: list[str]) -> None:
    """Every wanted metric's counted value equals what its function gives over the facts."""
    for metric_id in wanted:
        reference = {v.subject_id: (v.numerator, v.denominator) for v in metric_rules.evaluate(facts, [metric_id])}
        fast = {v.subject_id: (v.numerator, v.denominator) for v in counted if v.metric_id == metric_id}
        assert fast.keys() == reference.keys(), (metric_id, facts.period)
        for subject, (num, den) in reference.items():
            assert fast[subject] == (pytest.approx(num, rel=1e-9, abs=1e-9),
                                     pytest.approx(den, rel=1e-9, abs=1e-9)), (metric_id, facts.period)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_metric_counts_as_its_function_does(practice: PracticeFixture, seed: int) -> None:
    _generate(practice, seed)
    wanted = list(metrics.definitions())
    assert set(wanted) - set(metric_counts.COUNTERS) <= metric_rules.LIGHT_METRICS
    everyone = frozenset(practice.users[k] for k in ("clinician", "other_clinician", "supervisor"))
    licenses = frozenset({"LPC-Associate"})
    with practice.admin.store.read() as s:
        assert s.scalar(select(Practice.time_zone)) == "America/New_York"
        # Every session carries the practice's zone: the appointment sums come from metric_day_totals.
        assert metric_counts._day_totals_hold(s, metric_counts.Scope(PERIODS[0], TODAY, everyone, ET, {}, {}))
        for period in PERIODS:
            for subjects in (everyone, frozenset({practice.users["clinician"]})):
                facts = fetch_facts(s, period=period, today=TODAY, subjects=subjects, zone=ET,
                                    supervised_licenses=licenses)
                counted = metric_counts.count(s, period=period, today=TODAY, subjects=subjects, zone=ET,
                                              supervised_licenses=licenses, metric_ids=wanted)
                assert_counts_as_functions(facts, counted, wanted)
                # The same reads run at once, each on a connection of its own (what metrics.compute does).
                assert metric_counts.count(s, period=period, today=TODAY, subjects=subjects, zone=ET,
                                           supervised_licenses=licenses, metric_ids=wanted,
                                           reader=practice.admin.store.read) == counted
    assert any(v.numerator for v in counted)  # the generated practice is not empty


def test_a_session_booked_in_another_zone_is_counted_by_its_instant(practice: PracticeFixture) -> None:
    """A session whose wall clock is another zone's: its day in the day totals is not the practice's,
    so the period is counted with the grouped pass, and still as the metric functions count it."""
    _generate(practice, 4)
    chicago = ZoneInfo("America/Chicago")
    everyone = frozenset(practice.users[k] for k in ("clinician", "other_clinician", "supervisor"))
    period, wanted = PERIODS[0], list(metrics.definitions())
    with practice.admin.store.engine.begin() as conn:
        moved = conn.execute(select(Appointment.id, Appointment.start_at)
                             .where(Appointment.start_at >= _instant(period.start, 12), Appointment.deleted.is_(False))
                             .order_by(Appointment.start_at).limit(1)).one()
        conn.execute(update(Appointment).where(Appointment.id == moved.id).values(
            time_zone="America/Chicago", start_local=moved.start_at.astimezone(chicago).replace(tzinfo=None)))
    with practice.admin.store.read() as s:
        assert not metric_counts._day_totals_hold(s, metric_counts.Scope(period, TODAY, everyone, ET, {}, {}))
        facts = fetch_facts(s, period=period, today=TODAY, subjects=everyone, zone=ET, supervised_licenses=frozenset())
        counted = metric_counts.count(s, period=period, today=TODAY, subjects=everyone, zone=ET,
                                      supervised_licenses=frozenset(), metric_ids=wanted)
        assert_counts_as_functions(facts, counted, wanted)


@pytest.mark.parametrize("seed", [4, 5])
def test_the_rebook_rows_count_as_the_bookings_do(practice: PracticeFixture, seed: int,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """metric_visit_rows gives the rebook sums of the bookings for every set of clinicians measured:
    the clients whose rows leave the answer open (a next visit or booking with a clinician not
    measured, two visits at one instant) counted the long way, by key — which these practices need."""
    _generate(practice, seed)
    providers = [practice.users[k] for k in ("clinician", "other_clinician", "supervisor")]
    long_way = metric_counts._rebook_from_bookings
    asked: list[object] = []

    def spy(s: object, scope: metric_counts.Scope, clients: list[str] | None = None) -> object:
        asked.append(clients)
        return long_way(s, scope, clients)  # type: ignore[arg-type]

    monkeypatch.setattr(metric_counts, "_rebook_from_bookings", spy)
    with practice.admin.store.read() as s:
        for period in PERIODS:
            for subjects in ({*providers}, *({p} for p in providers), *({p, q} for p in providers for q in providers
                                                                       if p < q)):
                scope = metric_counts.Scope(period, TODAY, frozenset(subjects), ET, {}, {})
                assert metric_counts._rebook_from_rows(s, scope) == long_way(s, scope)
    assert any(asked), "no client was left open: the long way by key went untested"


def test_the_backlog_counts_drafts_without_a_session_but_no_addenda(practice: PracticeFixture) -> None:
    """The period's drafts come from metric_note_rows, which holds the notes written without a
    session too: such a draft past the limit counts, an addendum, a signed or a deleted note does not."""
    clinician = practice.users["clinician"]
    period = PERIODS[0]
    subjects = frozenset({clinician})

    def backlog() -> list[float]:
        with practice.admin.store.read() as s:
            facts = fetch_facts(s, period=period, today=TODAY, subjects=subjects, zone=ET)
            counted = metric_counts.count(s, period=period, today=TODAY, subjects=subjects, zone=ET,
                                          supervised_licenses=frozenset(), metric_ids=["unsigned_note_backlog"])
        assert_counts_as_functions(facts, counted, ["unsigned_note_backlog"])
        return [v.numerator for v in counted]

    before = backlog()  # the practice's own notes
    day = TODAY - timedelta(days=10)  # in the period, past the 7 days
    with practice.admin.store.engine.begin() as conn:
        client = new_id()
        conn.execute(insert(Client), [{"id": client, "chart_number": "C1", "first_name": "A", "last_name": "B",
                                       "dob": date(1980, 1, 1), "status": "active", "deleted": False,
                                       "preferred_language": "English", "uses_telehealth": False,
                                       "primary_clinician_id": clinician, "last_key": "b", "first_key": "a"}])
        draft = new_id()

        def note(**values: object) -> dict[str, object]:
            return {"id": new_id(), "client_id": client, "author_id": clinician, "appointment_id": None,
                    "note_type": "progress", "service_date": day, "status": "draft", "signed_at": None,
                    "deleted": False, "requires_cosign": False, "addendum_to": None, **values}  # one set of keys

        conn.execute(insert(Note), [note(id=draft), note(addendum_to=draft), note(deleted=True),
                                    note(status="signed", signed_at=_instant(day, 12)),
                                    note(service_date=TODAY - timedelta(days=3))])
    assert backlog() == [before[0] + 1]
