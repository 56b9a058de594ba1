"""The compliance metrics on the dashboards against the practice's own Georgia rule settings: a
practice that renews informed consent every 180 days (reviews plans every 30 days, renews HIPAA
training every 180 days) must not see 100 % current on the Practice Overview while its compliance
report lists the same client (or clinician) out of compliance. Each currency is checked at its day
boundary both ways the dashboards count it: the database counts and the rows behind the figure."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.domain.compliance import Stage
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.services import compliance, metrics
from mentalspace_desktop.store.chart_models import PlanReview, TreatmentPlan
from mentalspace_desktop.store.models import Consent, Practice, User
from tests.factories import PracticeFixture

TODAY = date(2026, 11, 30)
ET = ZoneInfo("America/New_York")  # the practice's zone in the fixture


def test_informed_consent_currency_follows_the_practices_setting(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.scalar(select(Practice)).rule_settings = json.dumps(
            {"informed_consent": {"valid_days": 180, "reminder_days_before": 30}})
        s.add(Consent(client_id=client.id, kind=ConsentKind.INFORMED_CONSENT, signed_on=TODAY - timedelta(days=200)))
    found = compliance.run(practice.admin, today=TODAY, now=datetime(2026, 11, 30, 15, tzinfo=UTC))
    assert any(f.rule == "informed_consent" and f.record_id == client.id for f in found.findings)
    table = metrics.compute(practice.admin, Period(date(2026, 11, 1), TODAY), today=TODAY,
                            metric_ids=["informed_consent_currency"])
    value = table.of(practice.users["clinician"])["informed_consent_currency"]
    assert (value.numerator, value.denominator) == (0, 1)


def _plan(s: Any, client_id: str, author: str, signed: datetime | None, reviewed_on: date | None = None) -> None:
    plan = TreatmentPlan(client_id=client_id, author_id=author, starts_on=date(2026, 1, 5),
                         review_due_on=date(2026, 4, 5), content="", status="signed", signed_at=signed)
    s.add(plan)
    s.flush()
    if reviewed_on is not None:
        s.add(PlanReview(plan_id=plan.id, client_id=client_id, reviewed_on=reviewed_on, next_review_on=TODAY,
                         text="", signed_at=datetime.combine(reviewed_on, time(15), tzinfo=UTC)))


def _both_ways(practice: PracticeFixture, metric_id: str, who: str) -> list[tuple[float, float]]:
    """The dashboards' count and the rows behind it ("explain"), as (numerator, denominator) each."""
    period = Period(date(2026, 11, 1), TODAY)
    value = metrics.compute(practice.admin, period, today=TODAY, metric_ids=[metric_id]).of(
        practice.users[who])[metric_id]
    rows = metrics.explain(practice.admin, period, today=TODAY, metric_id=metric_id, clinician_id=practice.users[who])
    return [(value.numerator, value.denominator),
            (sum(float(r.numerator) for r in rows), sum(float(r.denominator) for r in rows))]


def _out_of_compliance(practice: PracticeFixture, rule: str) -> set[str]:
    found = compliance.run(practice.admin, today=TODAY, now=datetime(2026, 11, 30, 15, tzinfo=UTC))
    return {f.record_id for f in found.findings if f.rule == rule and f.stage is Stage.OUT_OF_COMPLIANCE}


def test_treatment_plan_currency_follows_the_practices_review_days(practice: PracticeFixture) -> None:
    """Plans reviewed every 30 days (out of compliance on day 31): a plan signed, or reviewed, 30 days
    ago is current; 31 days ago it is not — on the dashboards as in the compliance report."""
    author = practice.users["clinician"]
    night = time(23, 30)  # late in the practice's day: its date is the practice's, not UTC's
    days = {n: datetime.combine(TODAY - timedelta(days=n), night, tzinfo=ET).astimezone(UTC) for n in (30, 31, 200)}
    clients = {k: practice.add_client(clinician="clinician", last=k).id
               for k in ("Signed30", "Signed31", "Reviewed30", "Reviewed31")}
    with practice.admin.store.write(author) as s:
        s.scalar(select(Practice)).rule_settings = json.dumps(
            {"treatment_plan_review": {"reminder_day": 20, "alert_day": 25, "out_of_compliance_day": 31}})
        _plan(s, clients["Signed30"], author, days[30])
        _plan(s, clients["Signed31"], author, days[31])
        _plan(s, clients["Reviewed30"], author, days[200], reviewed_on=TODAY - timedelta(days=30))
        _plan(s, clients["Reviewed31"], author, days[200], reviewed_on=TODAY - timedelta(days=31))
    assert _both_ways(practice, "treatment_plan_currency", "clinician") == [(2, 4), (2, 4)]
    assert _out_of_compliance(practice, "treatment_plan_review") == {clients["Signed31"], clients["Reviewed31"]}


def test_hipaa_training_currency_follows_the_practices_valid_days(practice: PracticeFixture) -> None:
    """Training renewed every 180 days: trained 179 days ago is current, 180 days ago it has expired."""
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.scalar(select(Practice)).rule_settings = json.dumps(
            {"hipaa_training": {"valid_days": 180, "reminder_days_before": 30}})
        s.get(User, practice.users["clinician"]).hipaa_training_on = TODAY - timedelta(days=179)
        s.get(User, practice.users["other_clinician"]).hipaa_training_on = TODAY - timedelta(days=180)
    assert _both_ways(practice, "hipaa_training_currency", "clinician") == [(1, 1), (1, 1)]
    assert _both_ways(practice, "hipaa_training_currency", "other_clinician") == [(0, 1), (0, 1)]
    expired = _out_of_compliance(practice, "hipaa_training")
    assert practice.users["other_clinician"] in expired and practice.users["clinician"] not in expired
