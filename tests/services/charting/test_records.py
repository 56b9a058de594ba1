"""Diagnoses, treatment and safety plans, documents: sealed, permissioned, signed, on a real store."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select, text

from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.errors import AuthenticationError, PermissionDenied, ValidationError
from mentalspace_desktop.services.charting.attachments import MAX_BYTES, AttachmentService
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService
from mentalspace_desktop.services.charting.icd10 import icd_index
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.charting.plans import PlanService
from mentalspace_desktop.store.chart_models import Attachment, Diagnosis, SafetyPlan, TreatmentPlan
from tests.factories import PASSWORD, PracticeFixture

TODAY = date(2025, 3, 20)
SECRET = "worries about her brother's drinking"


def test_the_icd_index_finds_codes_by_code_words_and_abbreviations() -> None:
    ix = icd_index()
    assert len(ix) > 70_000
    assert [c.code for c in ix.search("F41.1")] == ["F41.1"]
    assert "F41.1" in [c.code for c in ix.search("gen anx")]
    assert "F43.10" in [c.code for c in ix.search("ptsd")]
    assert ix.search("f33")[0].code.startswith("F33")
    assert ix.get("f411") == ix.get("F41.1") and ix.get("F41") is None  # a category is not billable
    assert ix.search("zzzz qqq") == [] and ix.search("   ") == []


def test_diagnoses_on_the_problem_list_billing_sees_codes_only(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    dx = DiagnosisService(practice.session_for("other_clinician"), today=lambda: TODAY)
    first = dx.add(client.id, "f41.1", onset_on=date(2024, 11, 1), notes=SECRET, is_primary=True)
    with pytest.raises(ValidationError, match="not a billable ICD-10-CM code"):
        dx.add(client.id, "F41")
    with pytest.raises(ValidationError, match="already on"):
        dx.add(client.id, "F41.1")
    dx.add(client.id, "Z63.72")
    listed = dx.problem_list(client.id)
    assert [(d.code, d.notes) for d in listed] == [("F41.1", SECRET), ("Z63.72", "")]
    billing = DiagnosisService(practice.session_for("billing")).problem_list(client.id)
    assert [(d.code, d.description, d.notes) for d in billing] == [
        ("F41.1", "Generalized anxiety disorder", None), ("Z63.72", listed[1].description, None)]
    with pytest.raises(PermissionDenied):
        DiagnosisService(practice.session_for("front_desk")).problem_list(client.id)
    with practice.admin.store.read() as s:
        assert SECRET not in s.scalar(select(Diagnosis.notes).where(Diagnosis.id == first))
    dx.resolve(first, on=TODAY)
    assert [d.code for d in dx.problem_list(client.id, include_resolved=False)] == ["Z63.72"]


def test_a_diagnosis_attaches_to_a_draft_note(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    session = practice.session_for("other_clinician")
    note_id = NoteService(session).start(client.id, "progress")
    dx = DiagnosisService(session, today=lambda: TODAY)
    dx.add(client.id, "F32.1", note_id=note_id)
    assert [d.code for d in dx.for_note(note_id)] == ["F32.1"]


def plan() -> list[rules.Problem]:
    return [rules.Problem("Panic attacks at work", [rules.Goal(
        "Fewer panic attacks", [rules.Objective("Use paced breathing", "3 of 4 weeks", date(2025, 6, 1))],
        ["CBT: interoceptive exposure"])])]


def test_a_treatment_plan_is_signed_reviewed_and_its_review_date_moves(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    plans = PlanService(practice.session_for("other_clinician"), today=lambda: TODAY)
    with pytest.raises(ValidationError, match="at least one problem"):
        plans.save_treatment_plan(client.id, [])
    plan_id = plans.save_treatment_plan(client.id, plan(), starts_on=date(2025, 1, 2))
    assert plans.summary(client.id).review_due_on is None  # a draft is not the client's plan yet
    with pytest.raises(PermissionDenied, match="Sign the plan"):
        plans.review_plan(plan_id, "progress", PASSWORD)
    with pytest.raises(AuthenticationError):
        plans.sign_treatment_plan(plan_id, "wrong")
    plans.sign_treatment_plan(plan_id, PASSWORD)
    summary = plans.summary(client.id)
    assert summary.review_due_on == date(2025, 4, 2) and summary.review_state is rules.ReviewState.DUE_SOON
    with pytest.raises(PermissionDenied, match="signed plan cannot change"):
        plans.save_treatment_plan(client.id, plan(), plan_id=plan_id)
    assert plans.review_plan(plan_id, "Two panic attacks this month.", PASSWORD) == date(2025, 6, 18)
    view = plans.treatment_plans(client.id)[0]
    assert view.review_due_on == date(2025, 6, 18) and view.problems == plan()
    assert view.reviews[0].text == "Two panic attacks this month."
    with practice.admin.store.read() as s:
        assert s.scalar(select(TreatmentPlan.content)).startswith("sealed:v1:")


def test_a_flagged_client_needs_a_safety_plan_with_988(practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    plans = PlanService(practice.session_for("other_clinician"), today=lambda: TODAY)
    assert plans.summary(client.id).safety is rules.SafetyPlanStatus.NOT_NEEDED
    plans.flag_at_risk(client.id, "passive ideation reported")
    assert plans.summary(client.id).safety is rules.SafetyPlanStatus.MISSING
    sections = rules.new_safety_plan()
    sections.update(warning_signs=["Isolating"], coping=["Run"], means_safety=["Firearm stored with a friend"])
    plan_id = plans.save_safety_plan(client.id, sections)
    assert plans.summary(client.id).safety is rules.SafetyPlanStatus.DRAFT
    plans.sign_safety_plan(plan_id, PASSWORD)
    assert plans.summary(client.id).safety is rules.SafetyPlanStatus.CURRENT
    stored = plans.safety_plans(client.id)[0]
    assert rules.CRISIS_LINE_988 in stored.sections["professionals"] and stored.signed_at is not None
    with pytest.raises(PermissionDenied):
        plans.save_safety_plan(client.id, sections, plan_id=plan_id)
    with practice.admin.store.read() as s:
        assert "Firearm" not in s.scalar(select(SafetyPlan.content))
    with pytest.raises(PermissionDenied):
        PlanService(practice.session_for("front_desk")).safety_plans(client.id)


def test_documents_are_sealed_and_checked_for_type_and_size(practice: PracticeFixture, tmp_path: Path) -> None:
    client = practice.add_client(clinician="other_clinician")
    docs = AttachmentService(practice.session_for("other_clinician"), today=lambda: TODAY)
    pdf = tmp_path / "release.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"x" * 1000)
    doc_id = docs.add(client.id, pdf, title="Release from Dr. Lee")
    assert docs.read(doc_id) == ("application/pdf", pdf.read_bytes())
    assert [d.title for d in docs.list(client.id)] == ["Release from Dr. Lee"]
    text_file = tmp_path / "notes.txt"
    text_file.write_text("plain")
    with pytest.raises(ValidationError, match="not a PDF, PNG or JPEG"):
        docs.add(client.id, text_file)
    big = tmp_path / "scan.png"
    big.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * MAX_BYTES)
    with pytest.raises(ValidationError, match="at most 10 MB"):
        docs.add(client.id, big)
    with practice.admin.store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM attachments")).scalar_one() == 1
        raw = conn.execute(select(Attachment.data, Attachment.title)).one()
        assert all(v.startswith("sealed:v1:") for v in raw) and "Lee" not in raw.title
    with pytest.raises(PermissionDenied):
        AttachmentService(practice.session_for("billing")).read(doc_id)


def test_templates_are_versioned_data_administrators_edit(practice: PracticeFixture) -> None:
    from mentalspace_desktop.services.charting.templates import TemplateService
    from mentalspace_desktop.store.chart_defaults import default_template_id

    admin = TemplateService(practice.admin)
    types = admin.note_types()
    assert [t.note_type for t in types][:3] == ["soap", "progress", "intake"] and len(types) == 8
    template_id, soap = admin.active("soap")
    assert template_id == default_template_id("soap") and soap.version == 1  # the same id on every store
    with pytest.raises(ValidationError, match="unknown setting"):
        admin.save_version("soap", "SOAP note", '[{"key": "s", "label": "S", "colour": "red"}]')
    with pytest.raises(PermissionDenied):
        TemplateService(practice.session_for("clinician")).save_version("soap", "SOAP", '[{"key": "s", "label": "S"}]')
    assert admin.save_version("soap", "SOAP note", soap.to_json()[:-1] + ', {"key": "phq9", "label": "PHQ-9"}]') == 2
    assert admin.active("soap")[1].keys[-1] == "phq9"
    assert admin.save_version("group", "Group therapy note", '[{"key": "focus", "label": "Group focus"}]') == 1
    assert "group" in [t.note_type for t in admin.note_types()]
    # a note written before the change keeps the version it was written with
    client = practice.add_client(clinician="other_clinician")
    notes = NoteService(practice.session_for("other_clinician"))
    note_id = notes.start(client.id, "soap")
    assert notes.open(note_id).template.keys[-1] == "phq9"


def test_the_code_list_is_read_from_its_cache_once_built(tmp_path: Path) -> None:
    import gzip
    from importlib import metadata

    from mentalspace_desktop.services.charting.icd10 import load_codes

    cache = tmp_path / f"icd10cm-{metadata.version('simple-icd-10-cm')}.tsv.gz"
    with gzip.open(cache, "wt", encoding="utf-8") as handle:
        handle.write("F41.1\tGeneralized anxiety disorder\nZ63.0\tProblems in relationship with spouse or partner\n")
    assert [c.code for c in load_codes(tmp_path)] == ["F41.1", "Z63.0"]


def test_the_demo_diagnoses_are_real_billable_codes() -> None:
    from mentalspace_desktop.services.demo_charting import _DX

    ix = icd_index()
    assert {code: (found.description if (found := ix.get(code)) else None) for code in _DX} == _DX
