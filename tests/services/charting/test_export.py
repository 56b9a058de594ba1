"""PDF export of a signed note (with its addendum) and of a signed plan, read back as text."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.charting.export import ChartExportService
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.charting.plans import PlanService
from tests.factories import PASSWORD, PracticeFixture

SOAP = {"subjective": "Client reports a fear of bridges.", "assessment": "Specific phobia, improving.",
        "plan": "Graded exposure; weekly.", "risk_level": "Low"}


def text_of(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_a_signed_note_and_its_addendum_export_with_the_signature_block(practice: PracticeFixture,
                                                                        tmp_path: Path) -> None:
    client = practice.add_client(clinician="other_clinician", last="Okafor", first="Amara")
    session = practice.session_for("other_clinician")
    notes = NoteService(session)
    note_id = notes.start(client.id, "soap", service_date=date(2025, 3, 14))
    notes.autosave(note_id, SOAP)
    export = ChartExportService(session)
    with pytest.raises(ValidationError, match="Only a signed note"):
        export.export_note(note_id, tmp_path / "draft.pdf")
    result = notes.sign(note_id, PASSWORD)
    addendum = notes.add_addendum(note_id)
    notes.autosave(addendum, {"text": "Correction: 53 minutes."})
    notes.sign(addendum, PASSWORD)
    out = export.export_note(note_id, tmp_path / "note.pdf")
    text = text_of(out.path)
    assert out.pages >= 1 and f"Page 1 of {out.pages}" in text
    for expected in ("Peachtree Counseling", "Okafor, Amara", client.chart_number, "SOAP note", "Subjective",
                     "Client reports a fear of bridges.", "Electronically signed by Owen Otherclin",
                     result.content_hash, "Addendum", "Correction: 53 minutes."):
        assert expected in text.replace("\n", " ") or expected in text, expected
    with pytest.raises(PermissionDenied):
        ChartExportService(practice.session_for("billing")).export_note(note_id, tmp_path / "x.pdf")


def test_a_signed_plan_exports(practice: PracticeFixture, tmp_path: Path) -> None:
    client = practice.add_client(clinician="other_clinician")
    session = practice.session_for("other_clinician")
    plans = PlanService(session)
    plan_id = plans.save_treatment_plan(client.id, [rules.Problem("Panic attacks", [rules.Goal(
        "Fewer attacks", [rules.Objective("Paced breathing", "3 of 4 weeks", date(2025, 6, 1))], ["CBT"])])],
        starts_on=date(2025, 1, 2))
    plans.sign_treatment_plan(plan_id, PASSWORD)
    text = text_of(ChartExportService(session).export_plan(plan_id, tmp_path / "plan.pdf").path)
    for expected in ("Treatment plan", "Problem 1: Panic attacks", "Goal: Fewer attacks", "measured by: 3 of 4 weeks",
                     "next review due 04/02/2025", "Content SHA-256"):
        assert expected in text, expected
