"""Groups: the roster with screening, and one session's attendance taken from one sheet."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mentalspace_desktop.domain.scheduling.recurrence import Pattern, make_rule
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.groups import GroupsPage
from mentalspace_desktop.gui.qt import QApplication, Qt
from mentalspace_desktop.gui.theme import DEFAULT_THEME, apply_theme
from mentalspace_desktop.services.scheduling.common import SchedulingBase
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule, services_at

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


def _group(practice: PracticeFixture, schedule: Schedule, sessions: int = 3) -> tuple[GroupService, str]:
    """Anxiety skills with two members and weekly 90-minute sessions from the schedule's day at 4 PM."""
    service = GroupService(practice.admin)
    group = service.create(GroupInput(name="Anxiety skills", type_id=schedule.types["Individual therapy"],
                                      facilitator_id=practice.users["clinician"], capacity=6,
                                      room_id=schedule.rooms["Group room"], location_id=schedule.location_id))
    for name in ("Ana Rivera", "Marcus Hill"):
        service.enroll(group, schedule.clients[name])
    start = schedule.at(16)
    service.schedule_sessions(group, start, make_rule(Pattern.WEEKLY, start, count=sessions), minutes=90)
    return service, group


def test_roster_screening_and_the_attendance_sheet(
        qtbot, qtmodeltester, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule,
        monkeypatch: pytest.MonkeyPatch) -> None:
    services_at(monkeypatch, schedule.at(17))  # during the first session
    service, group = _group(practice, schedule)
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
    assert page.sheet_note.isHidden() and page.all_attended.isEnabled()


def test_the_sheet_says_why_attendance_waits_for_the_session(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Before the session starts the sheet says so, offers only a cancellation and no "Everyone
    attended"; a session moved later after its sheet was opened is refused on saving, with why."""
    services_at(monkeypatch, schedule.at(15))  # an hour before the first session
    service, group = _group(practice, schedule, sessions=2)
    page = GroupsPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_sheet_loaded, timeout=WAIT):
        page.show()
    assert page.sessions.currentRow() == 0
    assert page.sheet_note.isVisibleTo(page) and "once it has started" in page.sheet_note.text()
    assert "4:00 PM" in page.sheet_note.text() and "cancelled now" in page.sheet_note.text()
    assert not page.all_attended.isEnabled()
    marcus = page.sheet_combos[schedule.clients["Marcus Hill"]]
    assert [marcus.itemData(i) for i in range(marcus.count())] == ["", "cancelled"]
    marcus.setCurrentIndex(marcus.findData("cancelled"))
    with qtbot.waitSignal(page.sig_attendance_saved, timeout=WAIT):
        page.save_sheet.click()
    assert [s for _d, s in service.attendance_history(group, schedule.clients["Marcus Hill"])] == ["cancelled"]

    # Opened during the session; meanwhile another workstation moves it to tomorrow.
    services_at(monkeypatch, schedule.at(17))
    page = GroupsPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_sheet_loaded, timeout=WAIT):
        page.show()
    assert page.sheet_note.isHidden() and page.all_attended.isEnabled()
    session = page.session_id()
    with practice.admin.store.write(practice.users["admin"]) as s:
        a = s.get(Appointment, session)
        assert a is not None
        a.start_at, a.end_at = a.start_at + timedelta(days=1), a.end_at + timedelta(days=1)
    page._mark_all()
    page.save_sheet.click()
    qtbot.waitUntil(lambda: "once it has started" in page.message.text(), timeout=WAIT)
    assert service.attendance_history(group, schedule.clients["Ana Rivera"]) == []


def test_the_roster_shows_whole_names_at_1280_pixels(
        qtbot, qapp: QApplication, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    """At 1280×800 the Groups page gets what the navigation leaves (about 1040 px): in the product's
    theme (its font) the roster's client column holds a long name whole, and its tooltip names the
    member wherever a narrower window cuts it."""
    apply_theme(qapp, DEFAULT_THEME)  # as the application always runs: the sizes depend on its font
    service, group = _group(practice, schedule, sessions=1)
    long_name = practice.add_client(clinician="clinician", first="Dominique", last="Washington-Abernathy").id
    service.enroll(group, long_name)
    page = GroupsPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(page)
    page.resize(1040, 740)
    with qtbot.waitSignal(page.sig_sheet_loaded, timeout=WAIT):
        page.show()
    rows = page.roster_model.rows()
    row = next(i for i, m in enumerate(rows) if m.client_id == long_name)
    text = "Washington-Abernathy, Dominique"
    assert rows[row].client_name == text
    needed = page.roster.fontMetrics().horizontalAdvance(text) + 12  # the cell's padding
    assert page.roster.columnWidth(0) >= needed, (page.roster.columnWidth(0), needed)
    assert page.roster.horizontalScrollBar().maximum() == 0  # every column in view
    tip = page.roster_model.index(row, 0).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(text)


def test_a_sheet_opened_before_the_start_opens_itself_when_the_session_starts(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The front desk opens the sheet a moment before the group starts and marks a cancellation: at
    the start the sheet offers attended and absent without being picked again, keeping that mark."""
    start = to_utc(schedule.at(16), "America/New_York")
    clock = [start - timedelta(seconds=1)]
    monkeypatch.setitem(SchedulingBase.__init__.__kwdefaults__, "now", lambda: clock[0])
    _service, _group_id = _group(practice, schedule, sessions=1)
    page = GroupsPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_sheet_loaded, timeout=WAIT):
        page.show()
    assert not page.all_attended.isEnabled()
    marcus = page.sheet_combos[schedule.clients["Marcus Hill"]]
    marcus.setCurrentIndex(marcus.findData("cancelled"))
    clock[0] = start + timedelta(seconds=1)
    qtbot.waitUntil(page.all_attended.isEnabled, timeout=WAIT)  # the sheet's own timer reloaded it
    assert page.sheet_note.isHidden()
    ana = page.sheet_combos[schedule.clients["Ana Rivera"]]
    assert ana.findData("attended") >= 0 and ana.findData("absent") >= 0
    assert page.sheet_combos[schedule.clients["Marcus Hill"]].currentData() == "cancelled"
