"""The figures tab of the Reminders screen: what followed reminders in the months chosen, by answer,
with each group's no-shows, in a table and in words; a backward range is refused in words."""

from __future__ import annotations

from datetime import date

import pytest

from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.gui.reminders.figures import OutcomesModel, ReminderFiguresTab
from mentalspace_desktop.gui.reminders.settings_page import table
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import Reminders, reminders_for
from tests.services.scheduling_fixtures import NOW, build
from tests.services.test_reminder_risk import history

pytestmark = pytest.mark.gui
WAIT = 20_000


@pytest.fixture
def rem(practice: PracticeFixture) -> Reminders:
    return reminders_for(build(practice), NOW)


def cells(model: OutcomesModel) -> list[list[str]]:
    return [[model.index(r, c).data(Qt.ItemDataRole.DisplayRole) for c in range(model.columnCount())]
            for r in range(model.rowCount())]


def test_outcomes_of_the_chosen_months_by_answer(qtbot, qtmodeltester, rem: Reminders) -> None:
    history(rem)  # March 2026: one visit confirmed by reply and kept, one unanswered and missed
    tab = ReminderFiguresTab(ReminderDeskService(rem.sched.session("admin"), now=rem.clock), table)
    qtbot.addWidget(tab)
    assert tab.chosen() == (date(2026, 1, 1), date(2026, 3, 1))  # the last three months
    with qtbot.waitSignal(tab.sig_outcomes_loaded, timeout=WAIT):
        tab.reload()
    qtmodeltester.check(tab.outcomes_model)
    assert cells(tab.outcomes_model) == [
        ["Confirmed by reply", "1", "50 %", "1", "0", "0.0 %"],
        ["Cancelled by reply", "0", "0 %", "—", "—", "—"],
        ["No answer", "1", "50 %", "0", "1", "100.0 %"],
        ["Not delivered", "0", "not reached", "0", "0", "—"],
    ]
    assert tab.summary.text() == ("Of 2 reminded visits, 50 % were confirmed by reply and 50 % went unanswered. "
                                  "No-shows: 0.0 % after a confirmation, 100.0 % after no answer.")
    # February alone: nothing reminded yet
    with qtbot.waitSignal(tab.sig_outcomes_loaded, timeout=WAIT):
        tab.first_month.setCurrentIndex(tab.first_month.findData("2026-02-01"))
    with qtbot.waitSignal(tab.sig_outcomes_loaded, timeout=WAIT):
        tab.choose(date(2026, 2, 1), date(2026, 2, 1))
    assert tab.chosen() == (date(2026, 2, 1), date(2026, 2, 1))
    assert tab.summary.text() == "No reminded visits have taken place in these months."
    tab.first_month.setCurrentIndex(tab.first_month.findData("2026-03-01"))
    assert "runs forward" in tab.summary.text() and tab.outcomes_model.rowCount() == 0
