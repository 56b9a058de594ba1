"""The charting screens with a real store: writing a note, autosave surviving a killed process,
signing, bulk signing, history and My notes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtTest import QTest

from mentalspace_desktop.domain.charting.lifecycle import NoteStatus
from mentalspace_desktop.gui.charting.editor import NoteEditor
from mentalspace_desktop.gui.charting.history import HistoryDialog
from mentalspace_desktop.gui.charting.my_notes import MyNotesPage
from mentalspace_desktop.gui.qt import QItemSelectionModel, QPlainTextEdit
from mentalspace_desktop.services.charting.notes import NoteService
from tests.factories import PASSWORD, PracticeFixture
from tests.services.charting.test_assistant import endpoint  # noqa: F401  (fixture)
from tests.sync.conftest import memory_keyring  # noqa: F401  (fixture)

pytestmark = pytest.mark.gui
WAIT = 20_000
FULL = {"subjective": "Slept better.", "assessment": "Improving.", "plan": "Weekly CBT.", "risk_level": "Low"}


def draft(practice: PracticeFixture, who: str = "other_clinician", days_ago: int = 2) -> tuple[NoteService, str]:
    client = practice.add_client(clinician=who)
    notes = NoteService(practice.session_for(who))
    return notes, notes.start(client.id, "soap", service_date=date.today() - timedelta(days=days_ago))


def open_editor(qtbot, notes: NoteService, note_id: str) -> NoteEditor:
    editor = NoteEditor(notes, note_id)
    qtbot.addWidget(editor)
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT):
        editor.show()
    return editor


def test_typing_a_note_autosaves_it_sealed(qtbot, practice: PracticeFixture) -> None:
    notes, note_id = draft(practice)
    editor = open_editor(qtbot, notes, note_id)
    field = editor.fields["subjective"]
    assert isinstance(field, QPlainTextEdit)
    field.setFocus()
    editor.timer.setInterval(100)
    with qtbot.waitSignal(editor.sig_saved, timeout=WAIT):
        QTest.keyClicks(field, "Client reports calmer mornings.")
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes(), timeout=WAIT)
    assert notes.open(note_id).content["subjective"] == "Client reports calmer mornings."
    assert "saved" in editor.indicator.text()


def test_leaving_a_field_saves_at_once(qtbot, practice: PracticeFixture) -> None:
    notes, note_id = draft(practice)
    editor = open_editor(qtbot, notes, note_id)
    editor.timer.setInterval(60_000)  # only the focus change can save within the test
    editor.fields["plan"].setFocus()
    QTest.keyClicks(editor.fields["plan"], "Exposure homework")
    with qtbot.waitSignal(editor.sig_saved, timeout=WAIT):
        editor.fields["assessment"].setFocus()
    assert notes.open(note_id).content["plan"] == "Exposure homework"


def test_autosave_survives_a_killed_process(practice: PracticeFixture, practice_template) -> None:
    notes, note_id = draft(practice)
    typist = Path(__file__).with_name("typist.py")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])}
    proc = subprocess.Popen([sys.executable, str(typist), str(practice.data_dir), practice_template.master_key.hex(),
                             practice.users["other_clinician"], note_id], stdout=subprocess.PIPE, text=True,
                            env=env)
    try:
        assert proc.stdout is not None
        last = ""
        for _ in range(3):  # three autosaves, then pull the plug mid-typing
            line = proc.stdout.readline()
            assert line.startswith("saved "), line
            last = line[len("saved "):].rstrip("\n")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    reopened = notes.open(note_id).content["subjective"]
    # everything up to the last completed autosave is there (a later save may have landed too)
    assert reopened.startswith("word0 word1") and reopened.startswith(last)


def test_signing_from_the_editor_locks_the_note(qtbot, practice: PracticeFixture) -> None:
    notes, note_id = draft(practice)
    notes.autosave(note_id, FULL)
    editor = open_editor(qtbot, notes, note_id)
    dialog = editor.sign()
    assert dialog is not None and dialog.list.count() == 1
    dialog.secret.setText("wrong password")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.sign_button.isEnabled(), timeout=WAIT)
    assert "not correct" in dialog.message.text()
    assert notes.open(note_id).status is NoteStatus.DRAFT
    dialog.secret.setText(PASSWORD)
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT):
        dialog.submit()
    assert editor.view is not None and editor.view.status is NoteStatus.SIGNED
    assert not editor.sign_button.isVisible() and editor.addendum_button.isVisible()
    field = editor.fields["subjective"]
    assert isinstance(field, QPlainTextEdit) and field.isReadOnly()


def test_bulk_signing_from_my_notes(qtbot, practice: PracticeFixture) -> None:
    notes, first = draft(practice, days_ago=9)
    notes.autosave(first, FULL)
    _, second = draft(practice, days_ago=1)
    notes.autosave(second, FULL)
    page = MyNotesPage(practice.session_for("other_clinician"))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.models["drafts"].rowCount() == 2, timeout=WAIT)
    model = page.models["drafts"]
    assert "past the 7-day limit" in model.cell(model.row(0), 4, 0)  # the 9-day-old note first
    view = page.views["drafts"]
    for r in range(2):
        view.selectionModel().select(model.index(r, 0), QItemSelectionModel.SelectionFlag.Select
                                     | QItemSelectionModel.SelectionFlag.Rows)
    dialog = page.sign_selected()
    assert dialog is not None and dialog.list.count() == 2
    dialog.secret.setText(PASSWORD)
    with qtbot.waitSignal(dialog.sig_signed, timeout=WAIT):
        dialog.submit()
    qtbot.waitUntil(lambda: page.models["drafts"].rowCount() == 0, timeout=WAIT)
    assert {notes.open(n).status for n in (first, second)} == {NoteStatus.SIGNED}


def test_history_shows_the_difference_between_versions(qtbot, practice: PracticeFixture) -> None:
    notes, note_id = draft(practice)
    notes.autosave(note_id, FULL, keep_version=True)
    notes.autosave(note_id, {**FULL, "plan": "Every two weeks."}, keep_version=True)
    dialog = HistoryDialog(notes, note_id)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "Every two weeks." in dialog.diff_view.toPlainText(), timeout=WAIT)
    assert dialog.model.rowCount() == 2
    assert "Weekly CBT." in dialog.diff_view.toPlainText()


def test_the_assistant_fills_only_empty_fields_after_its_notice(qtbot, practice: PracticeFixture,
                                                                 endpoint, memory_keyring) -> None:  # noqa: F811
    from mentalspace_desktop.services.charting.assistant import DraftingAssistant

    url, model = endpoint
    notes, note_id = draft(practice)
    editor = open_editor(qtbot, notes, note_id)
    assert not editor.assist_button.isVisible()  # off by default
    DraftingAssistant(practice.admin).save_settings(enabled=True, url=url, model="m")
    with qtbot.waitSignal(editor.sig_loaded, timeout=WAIT):
        editor.load()
    assert editor.assist_button.isVisible()
    editor.fields["subjective"].setPlainText("Typed by the clinician.")
    dialog = editor.draft_from_bullets()
    assert "leaves this computer" in dialog.findChild(type(editor.title), "assistantNotice").text()
    dialog.bullets.setPlainText("- slept better")
    dialog.submit()
    qtbot.waitUntil(lambda: notes.open(note_id).content["plan"] != "", timeout=WAIT)
    qtbot.waitUntil(lambda: not editor.has_unsaved_changes(), timeout=WAIT)
    content = notes.open(note_id).content
    assert content["subjective"] == "Typed by the clinician." and content["plan"] == "Continue weekly CBT."
    assert notes.open(note_id).status is NoteStatus.DRAFT


def test_the_idle_lock_saves_the_draft_and_gives_it_back(qtbot, practice: PracticeFixture) -> None:
    from mentalspace_desktop.gui.main_window import MainWindow, NavId

    notes, note_id = draft(practice, who="clinician")
    window = MainWindow(practice.session_for("clinician"))
    qtbot.addWidget(window)
    window.show()
    page = window.show_page(NavId.MY_NOTES)
    editor = page.open_note(note_id)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: editor.view is not None, timeout=WAIT)
    editor.timer.setInterval(60_000)  # only the lock can save within the test
    field = editor.fields["subjective"]
    field.setFocus()
    QTest.keyClicks(field, "Typed just before walking away.")
    assert window.has_unsaved_changes()
    with qtbot.waitSignal(editor.sig_saved, timeout=WAIT):
        window.lock()
    assert notes.open(note_id).content["subjective"] == "Typed just before walking away."
    screen = window.locker.screen
    assert screen is not None
    with qtbot.waitSignal(window.locker.sig_unlocked, timeout=WAIT):
        screen.password.setText(PASSWORD)
        screen.unlock_button.click()
    assert editor.isVisible() and field.toPlainText() == "Typed just before walking away."
    window.close_for_sign_out()


def test_the_history_redraws_its_differences_in_a_new_theme(qtbot, practice: PracticeFixture) -> None:
    """The added and removed lines are HTML drawn with the theme's colours: after a switch to the dark
    theme they take the dark ones (light green behind light text was unreadable)."""
    from mentalspace_desktop.gui import theme
    from mentalspace_desktop.gui.qt import QApplication

    notes, note_id = draft(practice)
    notes.autosave(note_id, FULL, keep_version=True)
    notes.autosave(note_id, {**FULL, "plan": "Every two weeks."}, keep_version=True)
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    theme.apply_theme(app, "light")
    dialog = HistoryDialog(notes, note_id)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: "Every two weeks." in dialog.diff_view.toPlainText(), timeout=WAIT)
    assert "#e2f4e6" in dialog.diff_view.toHtml()
    try:
        theme.apply_theme(app, "dark")
        qtbot.waitUntil(lambda: "#1f4d2b" in dialog.diff_view.toHtml(), timeout=WAIT)
    finally:
        theme.apply_theme(app, theme.DEFAULT_THEME)
