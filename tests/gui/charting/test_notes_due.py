"""My notes lists the sessions a clinician held without a note, and starts the note from one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mentalspace_desktop.gui.charting.my_notes import MyNotesPage
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.store.models import Note
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from tests.factories import PracticeFixture

pytestmark = pytest.mark.gui
ET = ZoneInfo("America/New_York")
WAIT = 20_000


def held_session(practice: PracticeFixture, *, days_ago: int, status: str = "completed",
                 needs_cosign: bool = False) -> str:
    client = practice.add_client(clinician="clinician")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=days_ago)
    with practice.admin.store.write(practice.users["admin"]) as s:
        kind = AppointmentType(name="Individual therapy", category="individual", default_minutes=50,
                               needs_cosign=needs_cosign)
        s.add(kind)
        s.flush()
        a = Appointment(client_id=client.id, provider_id=practice.users["clinician"], type_id=kind.id,
                        start_at=start, end_at=start + timedelta(minutes=50),
                        start_local=start.astimezone(ET).replace(tzinfo=None), time_zone="America/New_York",
                        status=status)
        s.add(a)
        s.flush()
        return a.id


def test_a_session_without_a_note_is_due_and_starts_a_linked_note(qtbot, practice: PracticeFixture) -> None:
    overdue = held_session(practice, days_ago=9)
    held_session(practice, days_ago=2, status="no_show")  # nothing to write for a session not held
    page = MyNotesPage(practice.session_for("clinician"))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 1, timeout=WAIT)
    assert page.current_key() == "due"  # the first list with something to do
    due = page.due_model.row(0)
    assert due.id == overdue and "past the 7-day limit" in due.age_label
    editor = page.start_from_session(overdue)
    assert editor is not None
    qtbot.waitUntil(lambda: page.due_model.rowCount() == 0, timeout=WAIT)
    with practice.admin.store.read() as s:
        note = s.query(Note).filter(Note.appointment_id == overdue).one()
    assert note.author_id == practice.users["clinician"] and note.status == "draft"
    editor.close()


def test_an_appointment_type_that_asks_for_cosignature_routes_the_note(practice: PracticeFixture) -> None:
    session_id = held_session(practice, days_ago=1, needs_cosign=True)
    notes = NoteService(practice.session_for("other_clinician"))  # an LCSW: no supervision by license
    with pytest.raises(Exception):  # noqa: B017  (not their session: another clinician's client)
        notes.start_from_appointment(session_id)
    mine = NoteService(practice.session_for("clinician"))
    note_id = mine.start_from_appointment(session_id)
    with practice.admin.store.read() as s:
        assert s.get(Note, note_id).requires_cosign  # type: ignore[union-attr]
