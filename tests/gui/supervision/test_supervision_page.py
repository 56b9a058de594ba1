"""The Supervision log page and the team report dialog, driven as a person would: a supervisor records
and signs a session with the keyboard-reachable dialog, an associate sees their own read only, and the
My Team dashboard's "Team report…" writes a readable PDF in a worker."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.dashboards.page import DashboardPage
from mentalspace_desktop.gui.qt import QDialog
from mentalspace_desktop.gui.supervision.page import SupervisionPage
from mentalspace_desktop.services import supervision
from tests.factories import PracticeFixture

pytestmark = pytest.mark.gui


def _page(qtbot: QtBot, practice: PracticeFixture, key: str) -> SupervisionPage:
    page = SupervisionPage(practice.session_for(key))
    qtbot.addWidget(page)
    page.resize(1280, 800)
    qtbot.waitUntil(lambda: page.totals.text() != "", timeout=30_000)
    return page


def test_a_supervisor_records_and_signs_a_session(qtbot: QtBot, practice: PracticeFixture) -> None:
    page = _page(qtbot, practice, "supervisor")
    assert page.record_button.isVisibleTo(page)
    assert "Casey Clinician 0 of 2 h" in page.totals.text()
    page.record()
    dialog = page.dialog
    assert dialog is not None and dialog.sign_button.isVisibleTo(dialog)
    dialog.people.item(0).setSelected(True)
    dialog.minutes.setValue(120)
    dialog.topics.setPlainText("Documentation timeliness")
    with qtbot.waitSignal(page.sig_loaded, timeout=30_000):
        dialog.sign_button.click()
    assert dialog.result() == QDialog.DialogCode.Accepted
    [entry] = page.model.rows()
    assert entry.minutes == 120 and entry.signed_at is not None and entry.topics == "Documentation timeliness"
    assert "Casey Clinician 2 of 2 h ✓" in page.totals.text()
    page.table.selectRow(0)
    assert not page.edit_button.isEnabled() and not page.sign_button.isEnabled()  # signed: frozen


def test_a_refused_entry_keeps_the_dialog_open_with_the_reason(qtbot: QtBot, practice: PracticeFixture) -> None:
    page = _page(qtbot, practice, "supervisor")
    page.record()
    dialog = page.dialog
    assert dialog is not None
    dialog.save_button.click()  # no supervisee chosen
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=10_000)
    assert "Choose who was supervised" in dialog.message.text() and dialog.isVisible()


def test_an_associate_sees_their_own_sessions_read_only(qtbot: QtBot, practice: PracticeFixture) -> None:
    from datetime import UTC, datetime

    from mentalspace_desktop.gui.localtime import wall_today

    today = wall_today()
    supervision.record(practice.session_for("supervisor"), supervisee_ids=[practice.users["clinician"]],
                       held_on=today, minutes=60, kind=supervision.Kind.INDIVIDUAL, topics="Ethics", today=today,
                       now=datetime.now(UTC), sign=False)
    page = _page(qtbot, practice, "clinician")
    assert not page.record_button.isVisibleTo(page) and not page.sign_button.isVisibleTo(page)
    assert [e.held_on for e in page.model.rows()] == [today]
    assert "Casey Clinician 0 of 2 h" in page.totals.text()  # not signed yet: it does not count


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed")
def test_the_team_report_is_saved_from_my_team(qtbot: QtBot, practice: PracticeFixture, tmp_path: Path) -> None:
    session = practice.session_for("supervisor")
    page = DashboardPage(session, EventBridge(session.events))
    qtbot.addWidget(page)
    qtbot.waitUntil(lambda: page.board is not None, timeout=30_000)
    page.team_report()
    dialog = page.report_dialog
    out = tmp_path / "team.pdf"
    dialog.path_edit.setText(str(out))
    with qtbot.waitSignal(dialog.sig_saved, timeout=30_000):
        dialog.save_button.click()
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "Team performance report" in text and "Casey Clinician" in text
    dialog.path_edit.setText(str(tmp_path / "missing" / "team.pdf"))
    dialog.save_button.click()
    assert "does not exist" in dialog.message.text()
