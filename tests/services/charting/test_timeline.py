"""The chart timeline tells what was charted from the records themselves, so a note written on another
workstation (whose audit entries never come here) or built into the demo shows like one written here;
each role sees what it may know of it, and the front desk never a word of a note. A note names only a
session of its own client."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete

from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PASSWORD, PracticeFixture

TODAY = date(2025, 3, 20)
WORDS = "Client describes a fear of elevators."
ET = ZoneInfo("America/New_York")


def booked(practice: PracticeFixture, client_id: str, provider: str, *, days_ago: int = 2) -> str:
    """A session the provider held with the client (written as the schedule would have)."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50)
        s.add(kind)
        s.flush()
        visit = Appointment(client_id=client_id, provider_id=practice.users[provider], type_id=kind.id,
                            start_at=start, end_at=start + timedelta(minutes=50), time_zone="America/New_York",
                            start_local=start.astimezone(ET).replace(tzinfo=None), status="completed")
        s.add(visit)
        s.flush()
        return visit.id


def test_a_note_names_only_a_session_of_its_own_client(practice: PracticeFixture) -> None:
    mine = practice.add_client(clinician="other_clinician")
    elsewhere = practice.add_client(clinician="other_clinician", last="Elsewhere")
    theirs = booked(practice, elsewhere.id, "other_clinician")
    notes = NoteService(practice.session_for("other_clinician"), today=lambda: TODAY)
    for appointment_id in ("made-up", theirs):
        with pytest.raises(ValidationError, match="not this client's"):
            notes.start(mine.id, "soap", appointment_id=appointment_id)
    assert notes.client_notes(mine.id) == []  # nothing half-made


def test_the_timeline_reads_the_records_not_this_workstations_log(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="clinician")  # an associate: the supervisor co-signs
    notes = NoteService(practice.session_for("clinician"), today=lambda: TODAY)
    note_id = notes.start(client.id, "soap", service_date=TODAY,
                          appointment_id=booked(practice, client.id, "clinician"))
    notes.autosave(note_id, {"subjective": WORDS, "assessment": "Improving.", "plan": "Weekly.",
                             "risk_level": "Low"})
    notes.sign(note_id, PASSWORD)
    supervisor = NoteService(practice.session_for("supervisor"), today=lambda: TODAY)
    supervisor.cosign(note_id, PASSWORD)
    addendum = notes.add_addendum(note_id)
    notes.autosave(addendum, {"text": "Correction: 53 minutes."})
    notes.sign(addendum, PASSWORD)
    DiagnosisService(practice.session_for("clinician"), today=lambda: TODAY).add(client.id, "F41.1")
    # As if all of it had been done on other workstations and arrived by sync: no audit entries here.
    with practice.admin.store.engine.begin() as conn:
        conn.execute(delete(AuditEntry).where(AuditEntry.client_id == client.id))

    def what(role: str) -> list[str]:
        return [t.action for t in ClientService(practice.session_for(role)).open_chart(client.id).timeline]

    seen = what("supervisor")
    assert {"Note started", "Note sent for co-signature", "Note co-signed", "Addendum started", "Addendum signed",
            "Diagnosis added"} <= set(seen)
    timeline = ClientService(practice.session_for("front_desk")).open_chart(client.id).timeline
    assert {"Note started", "Note co-signed", "Addendum signed"} <= {t.action for t in timeline}
    assert "Diagnosis added" not in {t.action for t in timeline}  # diagnoses are not the desk's to see
    assert not any("elevators" in t.summary or "53 minutes" in t.summary for t in timeline)
    assert "Diagnosis added" in what("billing")
    times = [t.at for t in timeline]
    assert times == sorted(times, reverse=True)  # newest first, records and log entries together
