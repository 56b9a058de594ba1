"""The chart's clinical tab, the safety-plan and treatment-plan editors and the diagnosis picker."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtTest import QTest

from mentalspace_desktop.domain.charting import plans as rules
from mentalspace_desktop.gui.charting.chart_pane import ClinicalPane, header_summary
from mentalspace_desktop.gui.charting.diagnoses import DiagnosisDialog
from mentalspace_desktop.gui.charting.plans import SafetyPlanDialog, TreatmentPlanDialog
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.charting.plans import PlanService
from tests.factories import PASSWORD, PracticeFixture

pytestmark = pytest.mark.gui
WAIT = 20_000


def pane_for(qtbot, practice: PracticeFixture, who: str, client_id: str) -> ClinicalPane:
    pane = ClinicalPane(practice.session_for(who))
    qtbot.addWidget(pane)
    pane.show()
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        pane.load(client_id, "Sam Rivera")
    return pane


def test_front_desk_sees_that_notes_exist_not_what_they_say(qtbot, practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    notes = NoteService(practice.session_for("other_clinician"))
    notes.start(client.id, "soap", service_date=date(2025, 3, 18))
    pane = pane_for(qtbot, practice, "front_desk", client.id)
    assert pane.model.rowCount() == 1
    assert not pane.plan_button.isVisible() and not pane.new_note.isVisible()
    assert "not what they say" in pane.hint.text()
    assert pane.open_note(pane.model.row(0).id) is None
    clinician = pane_for(qtbot, practice, "other_clinician", client.id)
    assert clinician.new_note.isVisible() and clinician.note_type.count() == 8
    assert "No signed treatment plan" in header_summary(clinician.chart)  # type: ignore[arg-type]


def test_the_picker_adds_a_diagnosis_found_by_words(qtbot, practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    service = DiagnosisService(practice.session_for("other_clinician"))
    dialog = DiagnosisDialog(service, client.id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.index is not None, timeout=WAIT)
    QTest.keyClicks(dialog.query, "gen anx")
    assert dialog.results.currentItem().text().startswith("F41.1")
    dialog.onset.setText("13/45/2024")
    dialog.add()
    assert "MM/DD/YYYY" in dialog.message.text()
    dialog.onset.setText("11/01/2024")
    with qtbot.waitSignal(dialog.sig_added, timeout=WAIT):
        dialog.add()
    assert [(d.code, d.onset_on) for d in service.problem_list(client.id)] == [("F41.1", date(2024, 11, 1))]


def test_a_safety_plan_is_written_and_signed_in_its_editor(qtbot, practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    service = PlanService(practice.session_for("other_clinician"))
    dialog = SafetyPlanDialog(service, client.id, "Sam Rivera")
    qtbot.addWidget(dialog)
    dialog.show()
    assert "988" in dialog.sections["professionals"].toPlainText()
    dialog.save()
    qtbot.waitUntil(lambda: "warning sign" in dialog.message.text(), timeout=WAIT)  # refused, text kept
    dialog.sections["warning_signs"].setPlainText("Not sleeping\nSkipping meals")
    dialog.sections["coping"].setPlainText("Walk")
    dialog.sections["means_safety"].setPlainText("Medication with sister")
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT):
        dialog.save(then_sign=True)
    prompt = dialog.sign_dialog
    prompt.secret.setText(PASSWORD)
    with qtbot.waitSignal(prompt.sig_signed, timeout=WAIT):
        prompt.submit()
    qtbot.waitUntil(lambda: dialog.new_button.isVisible(), timeout=WAIT)
    assert service.summary(client.id).safety is rules.SafetyPlanStatus.CURRENT
    assert service.safety_plans(client.id)[0].sections["warning_signs"] == ["Not sleeping", "Skipping meals"]


def test_a_treatment_plan_tree_becomes_the_saved_plan(qtbot, practice: PracticeFixture) -> None:
    client = practice.add_client(clinician="other_clinician")
    service = PlanService(practice.session_for("other_clinician"))
    dialog = TreatmentPlanDialog(service, client.id, "Sam Rivera")
    qtbot.addWidget(dialog)
    dialog.show()
    m = dialog.model
    problem = m.item(0, 0)
    m.item(0, 1).setText("Panic attacks")
    goal = problem.child(0, 0)
    problem.child(0, 1).setText("Fewer attacks")
    goal.child(0, 1).setText("Paced breathing")
    goal.child(0, 2).setText("3 of 4 weeks")
    goal.child(0, 3).setText("not a date")
    dialog.save()
    assert "not a date" in dialog.message.text()
    goal.child(0, 3).setText("06/01/2025")
    dialog.tree.setCurrentIndex(goal.index())
    dialog._add_intervention()
    goal.child(1, 1).setText("Interoceptive exposure")
    with qtbot.waitSignal(dialog.sig_saved, timeout=WAIT):
        dialog.save()
    saved = service.treatment_plans(client.id)[0].problems
    assert saved == [rules.Problem("Panic attacks", [rules.Goal(
        "Fewer attacks", [rules.Objective("Paced breathing", "3 of 4 weeks", date(2025, 6, 1))],
        ["Interoceptive exposure"])])]


def test_an_administrator_adds_a_field_as_a_new_template_version(qtbot, practice: PracticeFixture) -> None:
    from mentalspace_desktop.gui.charting.settings_page import ChartingSettingsPage
    from mentalspace_desktop.services.charting.templates import TemplateService

    page = ChartingSettingsPage(practice.admin)
    qtbot.addWidget(page)
    card = page.templates_card
    card.types.setCurrentIndex(card.types.findData("soap"))
    dialog = card.edit_selected()
    assert dialog is not None and dialog.model.rowCount() == 7
    dialog._append(["phq9", "PHQ-9 score", "slider", "no", "", ""])
    dialog.save()
    qtbot.waitUntil(lambda: "unknown kind" in dialog.message.text(), timeout=WAIT)
    dialog.model.item(7, 2).setText("line")
    dialog.save()
    qtbot.waitUntil(lambda: "version 2" in dialog.message.text(), timeout=WAIT)
    template = TemplateService(practice.admin).active("soap")[1]
    assert template.version == 2 and template.keys[-1] == "phq9"
