"""Groups: creating a group, enrolling clients (found as in the booking dialog), and a clinician's
screening decision with its notes sealed; the buttons follow the roles the service enforces."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.group_dialogs import (
    AddMemberDialog,
    BookSessionsDialog,
    NewGroupDialog,
    ScreeningDialog,
)
from mentalspace_desktop.gui.calendar.groups import GroupsPage
from mentalspace_desktop.gui.qt import QDate, Qt
from mentalspace_desktop.services.accounts import AccountService
from mentalspace_desktop.services.scheduling.groups import GroupService
from mentalspace_desktop.services.session import Actor, UserSession
from mentalspace_desktop.store.scheduling_models import GroupMember, TherapyGroup
from tests.factories import PASSWORD, PracticeFixture
from tests.gui.calendar.helpers import Schedule

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000
NOTES = "Motivated; no current risk; prefers evening sessions."


def clinician_with_key(practice: PracticeFixture) -> UserSession:
    """The clinician as their sign-in leaves them: holding the clinical key their slot opens."""
    view = next(u for u in AccountService(practice.admin).list_users() if u.id == practice.users["clinician"])
    opened = practice.admin.slots.open_slot("clin", PASSWORD)
    assert opened.clinical_key is not None
    return UserSession(practice.admin.store, practice.admin.slots, Actor(view.id, view.username, view.full_name,
                                                                         view.role),
                       practice.admin.events, clinical_key=opened.clinical_key, signing_key=opened.signing_key)


def open_page(qtbot, session: UserSession, bridge: EventBridge, *, groups: bool = False) -> GroupsPage:
    """The Groups page, shown and loaded (with ``groups``: the first group's roster too)."""
    page = GroupsPage(session, bridge)
    qtbot.addWidget(page)
    page.resize(1280, 800)
    signals = [page.sig_groups_loaded, page.sig_loaded] if groups else [page.sig_groups_loaded]
    with qtbot.waitSignals(signals, timeout=WAIT):
        page.show()
    return page


def statuses(page: GroupsPage) -> dict[str, str]:
    return {m.client_name: m.status for m in page.roster_model.rows()}


def pick_client(qtbot, dialog: AddMemberDialog, text: str) -> None:
    qtbot.keyClicks(dialog.picker.edit, text)
    with qtbot.waitSignal(dialog.picker.sig_results, timeout=WAIT):
        dialog.picker.search()
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)
    assert dialog.picker.client_id and dialog.isVisible()  # Enter took the match, not the Add button


def test_a_group_is_created_a_member_enrolled_and_approved_with_sealed_notes(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    desk = open_page(qtbot, practice.session_for("front_desk"), bridge)
    assert "New group" in desk.group_info.text()
    assert desk.new_group_button.isVisible() and not desk.add_member_button.isEnabled()
    dialog = desk.new_group()
    assert isinstance(dialog, NewGroupDialog)
    dialog.create_button.click()
    assert "Enter the group's name" in dialog.message.text()  # nothing saved
    qtbot.keyClicks(dialog.name_edit, "Grief support")
    dialog.facilitator.setCurrentIndex(dialog.facilitator.findText("Casey Clinician"))
    dialog.cofacilitator.setCurrentIndex(dialog.cofacilitator.findText("Sloane Supervisor"))
    dialog.type_box.setCurrentIndex(dialog.type_box.findData(schedule.types["Individual therapy"]))
    dialog.capacity.setValue(6)
    dialog.screening.setChecked(True)
    dialog.room_box.setCurrentIndex(dialog.room_box.findText("Group room"))
    with qtbot.waitSignal(desk.sig_loaded, timeout=WAIT):
        dialog.create_button.click()
    with practice.admin.store.read() as s:
        group = s.scalars(select(TherapyGroup).where(TherapyGroup.name == "Grief support")).one()
        assert group.type_id == schedule.types["Individual therapy"]
        assert (group.facilitator_id, group.cofacilitator_id, group.capacity, group.enrollment,
                group.screening_required, group.room_id, group.location_id) == (
            practice.users["clinician"], practice.users["supervisor"], 6, "open", True,
            schedule.rooms["Group room"], schedule.location_id)
    assert desk.group_id() == group.id and "0 of 6 places" in desk.group_info.text()
    assert desk.add_member_button.isEnabled()

    # The front desk enrolls; screening notes are clinical, so its form offers none.
    add = desk.add_member()
    assert isinstance(add, AddMemberDialog) and not add.may_write_notes and not add.notes.isVisible()
    pick_client(qtbot, add, "Rivera")
    add.add_button.click()
    qtbot.waitUntil(lambda: statuses(desk) == {"Rivera, Ana": "screening"}, timeout=WAIT)

    # The clinician who screens adds the next client approved, with notes sealed by the service.
    clinician = open_page(qtbot, clinician_with_key(practice), bridge, groups=True)
    assert clinician.group_id() == group.id
    add = clinician.add_member()
    assert isinstance(add, AddMemberDialog) and add.may_write_notes
    pick_client(qtbot, add, "Hill")
    add.notes.setPlainText(NOTES)
    add.decision["approve"].setChecked(True)
    add.add_button.click()
    qtbot.waitUntil(lambda: "Hill, Marcus" in statuses(clinician), timeout=WAIT)
    rows = {m.client_name: m for m in clinician.roster_model.rows()}
    assert rows["Hill, Marcus"].status == "approved" and rows["Hill, Marcus"].screening_notes == NOTES
    assert rows["Hill, Marcus"].joined_on is not None
    assert "1 of 6 places" in clinician.group_info.text()
    with practice.admin.store.read() as s:
        stored = s.scalars(select(GroupMember.screening_notes).where(
            GroupMember.client_id == schedule.clients["Marcus Hill"])).one()
    assert stored and NOTES not in stored  # sealed, never in the clear

    # Ana's screening, approved from the roster.
    clinician.roster.selectRow(clinician.roster_model.row_of(rows["Rivera, Ana"].id))
    assert clinician.approve_button.isEnabled()
    clinician.approve_button.click()
    screening = clinician.dialog
    assert isinstance(screening, ScreeningDialog) and screening.isVisible()
    screening.notes.setPlainText("Ready for a group; sleep is the main complaint.")
    screening.save_button.click()
    qtbot.waitUntil(lambda: statuses(clinician) == {"Hill, Marcus": "approved", "Rivera, Ana": "approved"},
                    timeout=WAIT)
    assert {m.client_name: m.screening_notes for m in clinician.roster_model.rows()}["Rivera, Ana"] == (
        "Ready for a group; sleep is the main complaint.")

    # Enrolling the same client twice is refused, with the reason, and the form stays open.
    add = clinician.add_member()
    assert add is not None
    pick_client(qtbot, add, "Hill")
    add.decision["approve"].setChecked(True)
    with qtbot.waitSignal(add.add_button.clicked):
        add.add_button.click()
    qtbot.waitUntil(lambda: add.message.isVisible(), timeout=WAIT)
    assert "already in this group" in add.message.text() and add.isVisible()
    add.reject()

    # Its weekly sessions, booked from the page; the same times again collide and book nothing.
    for attempt in range(2):
        book = clinician.book_sessions()
        assert isinstance(book, BookSessionsDialog) and book.minutes.value() == 50  # the type's length
        book.date_edit.setDate(QDate(schedule.day.year, schedule.day.month, schedule.day.day))
        book.time_box.setCurrentIndex(book.time_box.findText("4:00 PM"))
        book.count.setValue(3)
        book.book_button.click()
        if attempt == 0:
            qtbot.waitUntil(lambda: clinician.sessions.count() == 3, timeout=WAIT)
        else:
            qtbot.waitUntil(book.message.isVisible, timeout=WAIT)
            assert "collide" in book.message.text() and book.isVisible()
            book.reject()
    assert len(GroupService(practice.admin).sessions(group.id)) == 3


def test_the_buttons_follow_the_roles(qtbot, practice: PracticeFixture, bridge: EventBridge,
                                      schedule: Schedule) -> None:
    billing = open_page(qtbot, practice.session_for("billing"), bridge)
    assert not billing.new_group_button.isVisible() and not billing.add_member_button.isVisible()
    clinician = open_page(qtbot, practice.session_for("clinician"), bridge)
    dialog = clinician.new_group()
    # A clinician leads their own groups only: the facilitator offered is themselves.
    assert [dialog.facilitator.itemText(i) for i in range(dialog.facilitator.count())] == ["Casey Clinician"]
    dialog.reject()
