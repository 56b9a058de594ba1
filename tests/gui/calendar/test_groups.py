"""Groups: the roster with screening, and one session's attendance taken from one sheet."""

from __future__ import annotations

import pytest

from mentalspace_desktop.domain.scheduling.recurrence import Pattern, make_rule
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.groups import GroupsPage
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


def test_roster_screening_and_the_attendance_sheet(
        qtbot, qtmodeltester, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    service = GroupService(practice.admin)
    group = service.create(GroupInput(name="Anxiety skills", type_id=schedule.types["Individual therapy"],
                                      facilitator_id=practice.users["clinician"], capacity=6,
                                      room_id=schedule.rooms["Group room"], location_id=schedule.location_id))
    for name in ("Ana Rivera", "Marcus Hill"):
        service.enroll(group, schedule.clients[name])
    start = schedule.at(16)
    service.schedule_sessions(group, start, make_rule(Pattern.WEEKLY, start, count=3), minutes=90)
    page = GroupsPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_sheet_loaded, timeout=WAIT):
        page.show()
    qtmodeltester.check(page.roster_model, force_py=True)
    assert [m.client_name for m in page.roster_model.rows()] == ["Hill, Marcus", "Rivera, Ana"]
    assert "2 of 6 places" in page.group_info.text()
    assert page.sessions.count() == 3
    assert set(page.sheet_combos) == {schedule.clients["Ana Rivera"], schedule.clients["Marcus Hill"]}
    page._mark_all()
    absent = page.sheet_combos[schedule.clients["Marcus Hill"]]
    absent.setCurrentIndex(absent.findData("absent"))
    with qtbot.waitSignal(page.sig_attendance_saved, timeout=WAIT):
        page.save_sheet.click()
    history = service.attendance_history(group, schedule.clients["Marcus Hill"])
    assert [status for _day, status in history] == ["absent"]
    with qtbot.waitSignal(page.sig_sheet_loaded, timeout=WAIT):
        page.load_sheet()
    assert page.sheet_combos[schedule.clients["Ana Rivera"]].currentData() == "attended"
