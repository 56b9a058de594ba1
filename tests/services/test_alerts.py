"""The alert job and people's alerts on a real encrypted store (services.alerts): one open alert per
condition however often it runs, severities that follow the record's age, escalation rules from the
data file, alerts that resolve themselves, and who may acknowledge or resolve what."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from mentalspace_desktop.domain.alerts import Severity
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services import alerts, supervision
from mentalspace_desktop.store.alert_models import Alert
from mentalspace_desktop.store.models import Client, Note, Practice, User
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PracticeFixture

ET = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)
TODAY = date(2026, 11, 30)


@pytest.fixture
def trained(practice: PracticeFixture) -> PracticeFixture:
    """Everyone's HIPAA training is current, so only what a test sets up raises alerts."""
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.execute(update(User).values(hipaa_training_on=TODAY - timedelta(days=30)))
    return practice


def _notes(practice: PracticeFixture, ages: list[int], who: str = "clinician") -> list[str]:
    client = practice.add_client(clinician=who)
    with practice.admin.store.write(practice.users["admin"]) as s:
        notes = [Note(client_id=client.id, author_id=practice.users[who], note_type="progress",
                      service_date=TODAY - timedelta(days=age)) for age in ages]
        s.add_all(notes)
        s.flush()
        return [n.id for n in notes]


def _open(practice: PracticeFixture) -> dict[str, Alert]:
    with practice.admin.store.read() as s:
        rows = list(s.scalars(select(Alert).where(Alert.resolved_at.is_(None))))
    counts = Counter(a.condition_key for a in rows)
    assert all(n == 1 for n in counts.values()), counts  # never two open for one condition
    return {a.condition_key: a for a in rows}


def test_one_alert_per_condition_graded_by_age_and_resolved_when_it_clears(trained: PracticeFixture) -> None:
    young, old = _notes(trained, [5, 8])
    store = trained.admin.store
    first = alerts.generate_alerts(store, now=NOW)
    assert first.opened > 0
    assert alerts.generate_alerts(store, now=NOW) == alerts.JobResult(0, 0, 0)  # nothing to do twice
    opened = _open(trained)
    assert opened[f"unsigned_note:{young}"].severity == "info"  # day 5: a reminder
    assert opened[f"unsigned_note:{old}"].severity == "warning"  # past day 7
    escalation = opened[f"escalation:unsigned_notes_to_supervisor:{trained.users['clinician']}"]
    assert escalation.audience == "supervisor" and escalation.severity == "critical"
    assert escalation.user_id == trained.users["clinician"]

    # Two days on the young note is past day 7 too: the same alert, now a warning.
    later = alerts.generate_alerts(store, now=NOW + timedelta(days=2))
    assert later.opened == 0 and later.updated == 2  # the note, and the escalation saying how old the oldest is
    assert _open(trained)[f"unsigned_note:{young}"].id == opened[f"unsigned_note:{young}"].id
    assert _open(trained)[f"unsigned_note:{young}"].severity == "warning"

    with store.write(trained.users["clinician"]) as s:
        for note_id in (young, old):
            n = s.get(Note, note_id)
            assert n is not None
            n.status, n.signed_at, n.signed_by = "signed", NOW, trained.users["clinician"]
    cleared = alerts.generate_alerts(store, now=NOW + timedelta(days=2))
    assert cleared.resolved == 3 and cleared.opened == 0
    with store.read() as s:
        closed = s.get(Alert, escalation.id)
    assert closed is not None and closed.resolved_at is not None and closed.resolved_by is None
    assert closed.resolution == alerts.CLEARED
    assert not any(k.startswith(("unsigned_note:", "escalation:unsigned")) for k in _open(trained))


def test_more_than_five_unsigned_notes_escalate_even_when_each_is_young(trained: PracticeFixture) -> None:
    _notes(trained, [1, 1, 2, 2, 3])
    alerts.generate_alerts(trained.admin.store, now=NOW)
    key = f"escalation:unsigned_notes_to_supervisor:{trained.users['clinician']}"
    assert key not in _open(trained)  # five: not more than five
    _notes(trained, [1])
    alerts.generate_alerts(trained.admin.store, now=NOW)
    assert key in _open(trained)
    assert not any(k.startswith("unsigned_note:") for k in _open(trained))  # none is old enough alone


def test_violations_affecting_three_clinicians_go_to_the_administrator(practice: PracticeFixture) -> None:
    # Nobody in the fixture has HIPAA training on record: the supervisor and both clinicians.
    alerts.generate_alerts(practice.admin.store, now=NOW)
    practice_wide = _open(practice)["escalation:compliance_to_administrator:practice"]
    assert practice_wide.user_id is None and practice_wide.audience == "administrator"
    admin_sees = {v.id for v in alerts.list_alerts(practice.admin)}
    supervisor_sees = {v.id for v in alerts.list_alerts(practice.session_for("supervisor"))}
    assert practice_wide.id in admin_sees and practice_wide.id not in supervisor_sees
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.execute(update(User).where(User.id == practice.users["other_clinician"])
                  .values(hipaa_training_on=TODAY))
    alerts.generate_alerts(practice.admin.store, now=NOW)
    assert "escalation:compliance_to_administrator:practice" not in _open(practice)  # two left: not > 2


def _sessions(practice: PracticeFixture, first_day: int, statuses: list[str]) -> None:
    """The clinician's sessions at 10 a.m. on consecutive November days from ``first_day``."""
    client = practice.add_client(clinician="clinician")
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        for day, status in enumerate(statuses):
            start = datetime(2026, 11, first_day + day, 10, tzinfo=ET).astimezone(UTC)
            s.add(Appointment(client_id=client.id, provider_id=practice.users["clinician"], type_id=kind.id,
                              start_at=start, end_at=start + timedelta(minutes=50), time_zone="America/New_York",
                              start_local=start.astimezone(ET).replace(tzinfo=None), status=status))


def test_a_low_kept_visit_rate_alerts_past_its_dictionary_threshold(trained: PracticeFixture) -> None:
    clin = trained.users["clinician"]
    _sessions(trained, 16, ["completed", "no_show", "no_show", "completed", "no_show", "no_show"])
    alerts.generate_alerts(trained.admin.store, now=NOW)
    opened = _open(trained)
    assert opened[f"kept_visit_rate_low:{clin}"].severity == "critical"  # 2 of 6 kept: under 70 %
    assert opened[f"no_show_rate_high:{clin}"].severity == "critical"
    assert "33%" in opened[f"kept_visit_rate_low:{clin}"].detail


def test_who_may_see_acknowledge_and_resolve(trained: PracticeFixture) -> None:
    mine = _notes(trained, [9])[0]
    theirs = _notes(trained, [9], who="other_clinician")[0]
    alerts.generate_alerts(trained.admin.store, now=NOW)
    opened = _open(trained)
    my_alert, their_alert = opened[f"unsigned_note:{mine}"], opened[f"unsigned_note:{theirs}"]
    clinician = trained.session_for("clinician")
    assert {v.user_id for v in alerts.list_alerts(clinician)} == {trained.users["clinician"]}
    with pytest.raises(PermissionDenied):
        alerts.acknowledge(clinician, their_alert.id, now=NOW)
    seen = alerts.acknowledge(clinician, my_alert.id, now=NOW)
    assert seen.state == "acknowledged" and seen.acknowledged_by == "Casey Clinician"
    assert alerts.open_counts(clinician)[Severity.WARNING] >= 1  # acknowledged is still open

    supervisor = trained.session_for("supervisor")
    with pytest.raises(PermissionDenied):
        alerts.resolve(supervisor, their_alert.id, now=NOW)  # not on their team
    done = alerts.resolve(supervisor, my_alert.id, now=NOW, note="Talked it through; signing today")
    assert done.state == "resolved" and done.resolution == "Talked it through; signing today"
    with pytest.raises(ValidationError):
        alerts.resolve(supervisor, my_alert.id, now=NOW)
    assert alerts.list_alerts(clinician, states=("resolved",))[0].id == my_alert.id
    with pytest.raises(PermissionDenied):
        alerts.list_alerts(trained.session_for("billing"))
    # Resolved by hand while the note is still unsigned: the next run opens it again.
    alerts.generate_alerts(trained.admin.store, now=NOW)
    assert _open(trained)[f"unsigned_note:{mine}"].id != my_alert.id


def test_filters(trained: PracticeFixture) -> None:
    _notes(trained, [5, 9])
    _notes(trained, [9], who="other_clinician")
    alerts.generate_alerts(trained.admin.store, now=NOW)
    admin = trained.admin
    assert {v.severity for v in alerts.list_alerts(admin, severity=Severity.INFO)} == {Severity.INFO}
    assert {v.alert_type for v in alerts.list_alerts(admin, alert_type="unsigned_note")} == {"unsigned_note"}
    other = trained.users["other_clinician"]
    assert {v.user_id for v in alerts.list_alerts(admin, clinician_id=other)} == {other}
    with pytest.raises(ValidationError):
        alerts.list_alerts(admin, states=("dismissed",))


def test_a_client_moved_to_another_clinician_takes_their_open_alert_along(trained: PracticeFixture) -> None:
    """A client without informed consent raises an alert for their clinician; once the client is given
    to a colleague, the same open alert is the colleague's (the first no longer sees it, nor the name)."""
    client = trained.add_client(clinician="clinician", last="Moved", first="Morgan")
    alerts.generate_alerts(trained.admin.store, now=NOW)
    key = f"consent_missing:{client.id}"
    first = _open(trained)[key]
    assert first.user_id == trained.users["clinician"]
    with trained.admin.store.write(trained.users["admin"]) as s:
        s.execute(update(Client).where(Client.id == client.id)
                  .values(primary_clinician_id=trained.users["other_clinician"]))
    alerts.generate_alerts(trained.admin.store, now=NOW)
    now_open = _open(trained)[key]
    assert now_open.user_id == trained.users["other_clinician"]
    assert not any(v.record_id == client.id for v in alerts.list_alerts(trained.session_for("clinician")))
    assert any(v.record_id == client.id for v in alerts.list_alerts(trained.session_for("other_clinician")))


def _supervised(practice: PracticeFixture, held_on: date, minutes: int) -> None:
    supervision.record(practice.session_for("supervisor"), supervisee_ids=[practice.users["clinician"]],
                       held_on=held_on, minutes=minutes, kind=supervision.Kind.INDIVIDUAL, topics="Case review",
                       today=TODAY, now=NOW, sign=True)


def test_an_associate_without_supervision_this_month_is_alerted_before_the_month_ends(
        trained: PracticeFixture) -> None:
    """The clinician is an LPC-Associate (2 h of supervision a month) who met October's hours and has
    none logged in November: by the last day of the month that is plainly low; a third of the way into
    the month it is too early to say."""
    _supervised(trained, date(2026, 10, 14), 120)
    key = f"supervision_hours_low:{trained.users['clinician']}"
    alerts.generate_alerts(trained.admin.store, now=datetime(2026, 11, 10, 15, tzinfo=UTC))
    assert key not in _open(trained)
    alerts.generate_alerts(trained.admin.store, now=NOW)  # November 30
    assert _open(trained)[key].severity == "critical"
    assert "Other" not in _open(trained)[key].title  # only those whose license requires supervision
    assert f"supervision_hours_low:{trained.users['other_clinician']}" not in _open(trained)


def test_sessions_never_documented_escalate_like_unsigned_notes(trained: PracticeFixture) -> None:
    """A clinician who writes no note at all for a session nine days old is past the 7 days as much as
    one whose draft is unsigned: the supervisor's escalation fires."""
    clin = trained.users["clinician"]
    _sessions(trained, 21, ["completed"])
    alerts.generate_alerts(trained.admin.store, now=NOW)
    escalation = _open(trained)[f"escalation:unsigned_notes_to_supervisor:{clin}"]
    assert "the oldest 9 days old" in escalation.detail


def test_supervision_hours_are_measured_against_the_licenses_own_monthly_requirement(
        trained: PracticeFixture) -> None:
    """The practice's compliance settings ask 4 h a month of an LPC-Associate. October's 4 h were met;
    2 h by November 30 is behind (a warning, not yet half the pace short); 1 h is far behind (critical);
    and on December 1 November has ended short, which is critical whatever December's pace."""
    with trained.admin.store.write(trained.users["admin"]) as s:
        practice = s.scalar(select(Practice))
        assert practice is not None
        practice.rule_settings = json.dumps({"supervision_hours": {"monthly_hours": {"LPC-Associate": 4.0}}})
    _supervised(trained, date(2026, 10, 7), 240)
    _supervised(trained, date(2026, 11, 3), 60)
    key = f"supervision_hours_low:{trained.users['clinician']}"
    alerts.generate_alerts(trained.admin.store, now=NOW)
    alert = _open(trained)[key]
    assert alert.severity == "critical"  # 1 of 4 h on the last day
    assert "LPC-Associate: 4 h" in alert.detail and "1.0 h so far" in alert.detail
    _supervised(trained, date(2026, 11, 17), 60)
    alerts.generate_alerts(trained.admin.store, now=NOW)
    assert _open(trained)[key].severity == "warning"  # 2 of 4 h: behind, but not half the pace short
    alerts.generate_alerts(trained.admin.store, now=datetime(2026, 12, 1, 15, tzinfo=UTC))
    assert _open(trained)[key].severity == "critical"  # November ended 2 h short
    assert "Last month ended short: 2.0 h" in _open(trained)[key].detail
