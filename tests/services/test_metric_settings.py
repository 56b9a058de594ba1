"""The compliance metrics on the dashboards against the practice's own Georgia rule settings: a
practice that renews informed consent every 180 days must not see 100 % current on the Practice
Overview while its compliance report lists the same client out of compliance."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from mentalspace_desktop.domain.clients import ConsentKind
from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.services import compliance, metrics
from mentalspace_desktop.store.models import Consent, Practice
from tests.factories import PracticeFixture

TODAY = date(2026, 11, 30)


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
