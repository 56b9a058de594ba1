"""Running the Georgia rules on a real store (services.compliance): stages at their day boundaries,
who may run them, the stored run, and the PDF report read back as text."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.compliance import Stage
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services import compliance
from mentalspace_desktop.store.compliance_models import ComplianceFinding, ComplianceRun
from mentalspace_desktop.store.models import Note, Practice
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.factories import PracticeFixture

TODAY = date(2026, 11, 30)
NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)


def _unsigned(practice: PracticeFixture, client_id: str, ages: list[int]) -> None:
    with practice.admin.store.write(practice.users["admin"]) as s:
        for age in ages:
            s.add(Note(client_id=client_id, author_id=practice.users["clinician"], note_type="progress",
                       service_date=TODAY - timedelta(days=age)))


def test_notes_are_staged_by_their_age_and_the_run_is_kept(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")
    _unsigned(practice, client.id, [4, 5, 7, 14])
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    notes = {x.rule: x for x in result.summaries}["note_signature"]
    assert notes.stages[Stage.OK] == 1
    assert notes.stages[Stage.REMINDER] == 1
    assert notes.stages[Stage.ALERT] == 1
    assert notes.stages[Stage.HOLD] == 1
    assert notes.worst is Stage.HOLD
    with practice.admin.store.read() as s:
        run = s.get(ComplianceRun, result.run_id)
        assert run is not None and "note" in json.loads(run.summary)["note_signature"].lower()
        kept = s.scalars(select(ComplianceFinding).where(ComplianceFinding.run_id == result.run_id)).all()
    assert len(kept) == len(result.findings)
    # The client has no plan and no informed consent: both are findings about them.
    about_client = {f.rule for f in result.findings if f.record_id == client.id}
    assert {"treatment_plan_review", "informed_consent"} <= about_client


def test_a_minor_without_guardian_consent_is_out_of_compliance(practice: PracticeFixture) -> None:
    minor = practice.add_client(clinician="clinician", dob=date(2015, 1, 1), guardian_name="Pat Rivera",
                                guardian_phone="+14045550123")
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    assert any(f.rule == "minor_consent" and f.record_id == minor.id for f in result.findings)


def test_a_disabled_rule_reports_off_and_finds_nothing(practice: PracticeFixture) -> None:
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.scalar(select(Practice)).rule_settings = json.dumps({"hipaa_training": {"enabled": False}})
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    hipaa = {x.rule: x for x in result.summaries}["hipaa_training"]
    assert not hipaa.enabled and hipaa.line().endswith(": off")
    assert not any(f.rule == "hipaa_training" for f in result.findings)


def test_a_setting_out_of_range_is_a_clear_error(practice: PracticeFixture) -> None:
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.scalar(select(Practice)).rule_settings = json.dumps({"note_signature": {"alert_day": 99}})
    with pytest.raises(ValidationError) as caught:
        compliance.run(practice.admin, today=TODAY, now=NOW)
    assert "reminder must come before the alert" in caught.value.fields["rule_settings"]


def test_who_may_run_it(practice: PracticeFixture) -> None:
    for key in ("clinician", "front_desk", "billing"):
        with pytest.raises(PermissionDenied):
            compliance.run(practice.session_for(key), today=TODAY, now=NOW)
    other = practice.add_client(clinician="other_clinician")
    _unsigned(practice, other.id, [20])
    team = compliance.run(practice.session_for("supervisor"), today=TODAY, now=NOW)
    assert not any(f.record_id == other.id for f in team.findings)  # not on the supervisor's team


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_report_reads_back(practice: PracticeFixture, tmp_path) -> None:
    client = practice.add_client(clinician="clinician")
    _unsigned(practice, client.id, [9])
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    out = tmp_path / "compliance.pdf"
    compliance.write_report(practice.admin, result, out)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "Peachtree Counseling" in text and "Compliance report" in text
    assert "Notes signed within 7 days" in text and "alert" in text
    assert "Page 1 of" in text
    assert not out.with_name("compliance.pdf.part").exists()


def test_a_plan_signed_in_the_evening_counts_from_the_practices_day(practice: PracticeFixture) -> None:
    """Signed at 10 p.m. in Atlanta on Aug 31 (Sep 1 in UTC): on Nov 30 that is day 91, out of
    compliance, as the dashboards' treatment-plan currency counts it — not day 90."""
    from zoneinfo import ZoneInfo

    from mentalspace_desktop.store.chart_models import TreatmentPlan

    client = practice.add_client(clinician="clinician")
    signed = datetime(2026, 8, 31, 22, tzinfo=ZoneInfo("America/New_York"))
    with practice.admin.store.write(practice.users["admin"]) as s:
        s.add(TreatmentPlan(client_id=client.id, author_id=practice.users["clinician"], starts_on=date(2026, 8, 31),
                            review_due_on=date(2026, 11, 29), content="{}", status="signed",
                            signed_at=signed.astimezone(UTC), signed_by=practice.users["clinician"]))
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    plan = next(f for f in result.findings if f.rule == "treatment_plan_review" and f.record_id == client.id)
    assert plan.stage is Stage.OUT_OF_COMPLIANCE
    assert "Aug 31, 2026" in plan.detail


def test_a_session_held_with_no_note_at_all_is_out_of_time_like_an_unsigned_note(practice: PracticeFixture) -> None:
    """Georgia's 7 days run from the session: a session kept nine days ago with no note started is as
    late as an unsigned one (the dashboards count it in the backlog); a no-show needs no note, and a
    session whose draft exists is listed once, by its note."""
    from zoneinfo import ZoneInfo

    from mentalspace_desktop.store.scheduling_models import AppointmentType

    et = ZoneInfo("America/New_York")
    client = practice.add_client(clinician="clinician")
    clin = practice.users["clinician"]
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        made = {}
        for label, age, status in (("bare", 9, "completed"), ("missed", 9, "no_show"), ("drafted", 8, "completed"),
                                   ("today", 0, "completed")):
            start = datetime.combine(TODAY - timedelta(days=age), datetime.min.time().replace(hour=9), tzinfo=et)
            a = Appointment(client_id=client.id, provider_id=clin, type_id=kind.id, start_at=start.astimezone(UTC),
                            end_at=(start + timedelta(minutes=50)).astimezone(UTC), time_zone="America/New_York",
                            start_local=start.replace(tzinfo=None), status=status)
            s.add(a)
            s.flush()
            made[label] = a.id
        s.add(Note(client_id=client.id, author_id=clin, note_type="progress", appointment_id=made["drafted"],
                   service_date=TODAY - timedelta(days=8)))
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    notes = [f for f in result.findings if f.rule == "note_signature"]
    assert {(f.record_type, f.stage) for f in notes} == {("appointment", Stage.ALERT), ("note", Stage.ALERT)}
    bare = next(f for f in notes if f.record_type == "appointment")
    assert bare.record_id == made["bare"] and bare.responsible_user_id == clin
    assert "no note" in bare.detail and "Nov 21, 2026" in bare.subject
    assert {x.rule: x for x in result.summaries}["note_signature"].checked == 3  # the draft, the bare one, today's
    assert [f.record_type for f in notes] == ["appointment", "note"]  # nine days old before eight


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_report_says_when_it_was_checked_in_the_practices_time(practice: PracticeFixture, tmp_path) -> None:
    """Run at 15:00 UTC: in Atlanta (the practice's zone) that is 10:00 in November."""
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    out = tmp_path / "compliance.pdf"
    compliance.write_report(practice.admin, result, out)
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "checked Nov 30, 2026 10:00" in text


def test_the_evidence_lists_the_worst_first(practice: PracticeFixture) -> None:
    """A supervisor reads the report top down: billing holds before alerts before reminders, and
    within a stage the oldest first — not in whatever order the store returned the rows."""
    client = practice.add_client(clinician="clinician")
    _unsigned(practice, client.id, [5, 20, 8, 6, 15, 9])
    result = compliance.run(practice.admin, today=TODAY, now=NOW)
    ages = [int(f.detail.split()[1]) for f in result.findings if f.rule == "note_signature"]
    assert ages == [20, 15, 9, 8, 6, 5]
