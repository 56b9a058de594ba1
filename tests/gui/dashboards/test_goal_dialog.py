"""The goal dialog, driven with pytest-qt: changing a goal keeps it the clinician's it was set for."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from pytestqt.qtbot import QtBot

from mentalspace_desktop.gui.dashboards.goals import GoalDialog
from mentalspace_desktop.services import goals
from mentalspace_desktop.services.accounts import AccountService
from tests.factories import PracticeFixture

pytestmark = pytest.mark.gui


def test_changing_the_goal_of_a_clinician_who_left_keeps_it_theirs(qtbot: QtBot, practice: PracticeFixture) -> None:
    """The clinician was deactivated, so the dialog's list of clinicians no longer offers them: changing
    the goal's note must not hand the goal silently to whoever comes first in that list."""
    other = practice.users["other_clinician"]
    now = datetime.now().astimezone()
    goal_id = goals.save_goal(practice.admin, clinician_id=other, metric_id="kept_visit_rate", typed_target=80,
                              start=date(2026, 11, 1), end=date(2026, 11, 30), now=now)
    AccountService(practice.admin).set_active(other, False)
    [goal] = [g for g in goals.list_goals(practice.admin, today=date(2026, 11, 30)) if g.id == goal_id]
    dialog = GoalDialog(practice.admin, goal)
    qtbot.addWidget(dialog)
    assert dialog.clinician.currentData() == other and dialog.clinician.currentText() == "Owen Otherclin"
    dialog.note.setText("Carried over")
    with qtbot.waitSignal(dialog.sig_saved, timeout=30_000):
        dialog.save()
    [after] = [g for g in goals.list_goals(practice.admin, today=date(2026, 11, 30)) if g.id == goal_id]
    assert after.clinician_id == other and after.note == "Carried over"
