"""The facts the metrics read, from a real store: complete demographics decided in SQL (an empty
string is as missing as no value; a minor also needs a guardian) and prime-time minutes worked out on
the practice's wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from mentalspace_desktop.domain.metrics import Period
from mentalspace_desktop.services import metrics
from mentalspace_desktop.services.metric_facts import fetch_facts
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PracticeFixture

ET = ZoneInfo("America/New_York")
TODAY = date(2026, 11, 25)
WEEK = Period(date(2026, 11, 16), date(2026, 11, 22))
FULL = dict(phone_mobile="+14045550101", address1="1 Peach St", city="Atlanta", state="GA", zip="30303",
            emergency_name="Pat Doe", emergency_phone="+14045550102")


def test_complete_demographics_and_prime_time(practice: PracticeFixture) -> None:
    complete = practice.add_client(clinician="clinician", last="Complete")
    blank = practice.add_client(clinician="clinician", last="Blank")
    minor = practice.add_client(clinician="clinician", last="Minor", dob=date(2015, 1, 1),
                                guardian_name="Lee Minor", guardian_phone="+14045550103")
    with practice.admin.store.write(practice.users["admin"]) as s:
        for client_id, values in ((complete.id, FULL), (blank.id, {**FULL, "emergency_phone": ""}),
                                  (minor.id, {**FULL, "guardian_name": ""})):
            row = s.get(Client, client_id)
            assert row is not None
            for key, value in values.items():
                setattr(row, key, value)
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        start = datetime(2026, 11, 16, 16, 30, tzinfo=ET).astimezone(UTC)  # Monday 16:30–17:20: 30 prime minutes
        s.add(Appointment(client_id=complete.id, provider_id=practice.users["clinician"], type_id=kind.id,
                          start_at=start, end_at=start + timedelta(minutes=50),
                          start_local=start.astimezone(ET).replace(tzinfo=None), time_zone="America/New_York",
                          status="completed"))
    rows = metrics.explain(practice.admin, WEEK, today=TODAY, metric_id="complete_demographics_rate",
                           clinician_id=practice.users["clinician"])
    assert {r.record_id: r.numerator for r in rows} == {complete.id: 1, blank.id: 0, minor.id: 0}
    with practice.admin.store.read() as s:
        facts = fetch_facts(s, period=WEEK, today=TODAY, subjects=frozenset({practice.users["clinician"]}), zone=ET)
    [appt] = facts.appointments
    assert (appt.local_day, appt.prime_minutes, appt.minutes) == (date(2026, 11, 16), 30, 50)
