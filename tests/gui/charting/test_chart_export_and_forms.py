"""The chart's PDF export from the Clinical tab, a signed plan's export and replacement, and note
forms that keep every field readable however many fields a note type has."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from pypdf import PdfReader

from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.gui.charting.editor import NoteEditor
from mentalspace_desktop.gui.charting.plans import TreatmentPlanDialog
from mentalspace_desktop.gui.qt import QDate
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.charting.plans import PlanService
from tests.factories import PASSWORD, PracticeFixture
from tests.gui.charting.test_chart_screens import pane_for

pytestmark = pytest.mark.gui
WAIT = 20_000
SOAP = {"subjective": "Client reports a fear of bridges.", "assessment": "Improving.", "plan": "Weekly.",
        "risk_level": "Low"}


def _signed_note(practice: PracticeFixture, client_id: str, day: date) -> str:
    notes = NoteService(practice.session_for("other_clinician"))
    note_id = notes.start(client_id, "soap", service_date=day)
    notes.autosave(note_id, SOAP)
    notes.sign(note_id, PASSWORD)
    return note_id


def test_the_chart_exports_a_date_range_as_pdf(qtbot, practice: PracticeFixture, tmp_path: Path) -> None:
    client = practice.add_client(clinician="other_clinician")
    _signed_note(practice, client.id, date(2025, 1, 10))
    _signed_note(practice, client.id, date(2025, 3, 10))
    desk = pane_for(qtbot, practice, "front_desk", client.id)
    assert not desk.export_button.isVisible() and desk.export_chart() is None  # no clinical text for the desk
    pane = pane_for(qtbot, practice, "other_clinician", client.id)
    dialog = pane.export_chart()
    assert dialog is not None and pane.export_button.isVisible()
    dialog.path.setText(str(tmp_path / "missing-folder" / "chart.pdf"))
    dialog.export()
    assert "does not exist" in dialog.message.text()
    dialog.path.setText(str(tmp_path / "chart.pdf"))
    dialog.everything.setChecked(False)
    dialog.since.setDate(QDate(2025, 3, 1))
    dialog.until.setDate(QDate(2025, 3, 31))
    with qtbot.waitSignal(dialog.sig_exported, timeout=WAIT) as done:
        dialog.export()
    assert done.args[0].records == 1 and "Saved 1 record" in dialog.message.text()
    text = "\n".join(p.extract_text() for p in PdfReader(tmp_path / "chart.pdf").pages)
    assert "03/10/2025" in text and "01/10/2025" not in text and "fear of bridges" in text


def test_a_signed_plan_exports_and_is_replaced_by_a_new_one(qtbot, practice: PracticeFixture,
                                                            tmp_path: Path) -> None:
    client = practice.add_client(clinician="other_clinician")
    service = PlanService(practice.session_for("other_clinician"))
    problems = [rules.Problem("Panic attacks", [rules.Goal(
        "Fewer attacks", [rules.Objective("Paced breathing", "3 of 4 weeks", date(2025, 6, 1))], ["CBT"])])]
    signed_id = service.save_treatment_plan(client.id, problems, starts_on=date(2025, 1, 2))
    service.sign_treatment_plan(signed_id, PASSWORD)
    dialog = TreatmentPlanDialog(service, client.id, "Rivera, Sam", service.treatment_plans(client.id)[0])
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.export_button.isVisible() and not dialog.save_button.isVisible()
    dialog.export_to(tmp_path / "plan.pdf")
    qtbot.waitUntil(lambda: "Saved the plan" in dialog.message.text(), timeout=WAIT)
    assert "Panic attacks" in PdfReader(tmp_path / "plan.pdf").pages[0].extract_text()
    dialog.start_new_plan()
    assert dialog.save_button.isVisible() and not dialog.export_button.isVisible()
    dialog.model.item(0, 1).setText("Panic attacks, less often")
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT) as saved:
        dialog.save()
    plans = service.treatment_plans(client.id)
    assert saved.args[0] != signed_id and len(plans) == 2
    assert next(p for p in plans if p.id == signed_id).problems == problems  # the signed plan as it was


def test_every_field_of_a_long_note_type_keeps_three_lines(qtbot, practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    notes = NoteService(practice.session_for("other_clinician"))
    editor = NoteEditor(notes, notes.start(client.id, "intake"))
    qtbot.addWidget(editor)
    editor.resize(1000, 720)
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT):
        editor.show()
    boxes = [w for w in editor.fields.values() if w.metaObject().className() == "QPlainTextEdit"]
    assert len(boxes) >= 8
    qtbot.waitUntil(lambda: all(b.height() >= 3 * b.fontMetrics().lineSpacing() for b in boxes), timeout=WAIT)
    first = boxes[0]
    before = first.height()
    first.setPlainText("\n".join(f"line {n}" for n in range(6)))
    assert first.height() > before  # grows as the clinician writes


def test_a_note_names_its_diagnoses_and_the_problem_list_resolves_one(qtbot, practice: PracticeFixture,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtTest import QTest

    from mentalspace_desktop.gui.charting import chart_pane
    from mentalspace_desktop.services.charting.diagnoses import DiagnosisService

    client = practice.add_client(clinician="other_clinician")
    session = practice.session_for("other_clinician")
    diagnoses = DiagnosisService(session)
    diagnoses.add(client.id, "F41.1")
    notes = NoteService(session)
    editor = NoteEditor(notes, notes.start(client.id, "soap"))
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT):
        editor.show()
    qtbot.waitUntil(lambda: "No diagnosis" in editor.dx_line.text(), timeout=WAIT)
    dialog = editor.add_diagnosis()
    assert dialog is not None and dialog.add_button.text() == "&Add to this note"
    qtbot.waitUntil(lambda: dialog.index is not None, timeout=WAIT)
    QTest.keyClicks(dialog.query, "F41.1")
    dialog.add()  # already on the problem list: the note names that entry
    qtbot.waitUntil(lambda: "F41.1" in editor.dx_line.text(), timeout=WAIT)
    assert [d.code for d in diagnoses.problem_list(client.id)] == ["F41.1"]  # no second entry

    pane = pane_for(qtbot, practice, "other_clinician", client.id)
    pane.problems.setCurrentRow(0)
    monkeypatch.setattr(chart_pane, "ask", lambda *_a: True)
    pane.resolve_diagnosis()
    qtbot.waitUntil(lambda: diagnoses.problem_list(client.id)[0].resolved_on is not None, timeout=WAIT)
    assert [d.code for d in diagnoses.for_note(editor.note_id)] == ["F41.1"]  # the note still names it


def test_documents_open_from_memory(qtbot, practice: PracticeFixture, tmp_path: Path) -> None:
    from reportlab.pdfgen.canvas import Canvas

    from mentalspace_desktop.gui.qt import QImage
    from mentalspace_desktop.services.charting.attachments import AttachmentService

    client = practice.add_client(clinician="other_clinician")
    service = AttachmentService(practice.session_for("other_clinician"))
    pdf = Canvas(str(tmp_path / "release.pdf"))
    pdf.drawString(72, 720, "Release of information")
    pdf.showPage()
    pdf.drawString(72, 720, "Page two")
    pdf.save()
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(0)
    image.save(str(tmp_path / "drawing.png"))
    service.add(client.id, tmp_path / "release.pdf")
    service.add(client.id, tmp_path / "drawing.png")
    pane = pane_for(qtbot, practice, "other_clinician", client.id)
    assert pane.documents.count() == 2
    shown = {}
    for row in range(2):
        item = pane.documents.item(row)
        pane.documents.itemActivated.emit(item)
        qtbot.waitUntil(lambda: getattr(pane, "document_viewer", None) is not None, timeout=WAIT)
        shown[item.text().split(" · ")[1]] = pane.document_viewer.pages
        pane.document_viewer.close()
        pane.document_viewer = None
    assert shown == {"PDF": 2, "PNG": 1}
