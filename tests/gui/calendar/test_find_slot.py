"""Find a slot: a plain phrase finds ranked slots and books one through the booking dialog; a phrase
the parser cannot read says what it understood and what it did not."""

from __future__ import annotations

from datetime import time

import pytest

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.booking_dialog import BookingDialog
from mentalspace_desktop.gui.calendar.find_slot import FindSlotDialog
from mentalspace_desktop.gui.calendar.schedule_page import SchedulePage
from mentalspace_desktop.gui.qt import Qt
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


@pytest.fixture
def page(qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> SchedulePage:
    p = SchedulePage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(p)
    p.resize(1280, 800)
    with qtbot.waitSignal(p.calendar.sig_entries_loaded, timeout=WAIT):
        p.show()
        p.start(CalendarView.PROVIDERS, schedule.day)
    return p


def search(qtbot, dialog: FindSlotDialog, text: str) -> None:
    dialog.phrase_edit.setText(text)
    with qtbot.waitSignal(dialog.sig_searched, timeout=WAIT):
        qtbot.keyClick(dialog.phrase_edit, Qt.Key.Key_Return)


def test_a_phrase_finds_ranked_slots_and_books_one(
        qtbot, qtmodeltester, page: SchedulePage, schedule: Schedule, practice: PracticeFixture) -> None:
    page.calendar.grid.setFocus()
    qtbot.keyClick(page.calendar.grid, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    dialog = page.find_dialog
    assert isinstance(dialog, FindSlotDialog) and dialog.isVisible()
    search(qtbot, dialog, "Dr. Clinician next Tuesday afternoon")

    assert "Casey Clinician" in dialog.understood.text() and "afternoon" in dialog.understood.text()
    assert "Not understood" not in dialog.understood.text()
    rows = dialog.model.rows()
    assert rows, "a free afternoon was found"
    qtmodeltester.check(dialog.model, force_py=True)
    tuesday = rows[0].found.slot.start_local.date()
    assert tuesday.weekday() == 1
    for row in rows:
        slot = row.found.slot
        assert slot.provider_id == practice.users["clinician"]
        assert slot.start_local.date() == tuesday and slot.start_local.time() >= time(12)
    assert [r.found.slot.score for r in rows] == sorted((r.found.slot.score for r in rows), reverse=True)
    assert rows[0].why == "on the hour +1 · first day searched"  # why it ranks first
    # What the phrase meant is shown in the form, to adjust and search again.
    assert dialog.provider_ids() == [practice.users["clinician"]]
    assert dialog.time_of_day.currentData() == "afternoon"

    dialog.table.selectRow(1)
    chosen = rows[1].found.slot
    dialog.book_button.click()
    booking = page.dialog
    assert isinstance(booking, BookingDialog) and not dialog.isVisible()
    assert booking.provider_box.currentData() == practice.users["clinician"]
    assert booking.start_local() == chosen.start_local.replace(tzinfo=None)
    assert booking.type_box.currentText() == "Individual therapy" and booking.minutes.value() == 50
    booking.choose_client(schedule.clients["Ana Rivera"], "Rivera, Ana")
    with qtbot.waitSignal(booking.sig_checked, timeout=WAIT):
        booking.check_now()
    booking.book_button.click()

    def booked() -> list[tuple[object, str, str]]:
        return [(e.start, e.provider_id, e.type_name) for e in page.calendar.model.entries()
                if e.client_id == schedule.clients["Ana Rivera"]]

    qtbot.waitUntil(lambda: bool(booked()), timeout=WAIT)  # on the calendar, which moved to that day
    assert booked() == [(chosen.start_local.replace(tzinfo=None), practice.users["clinician"], "Individual therapy")]


def test_a_phrase_it_cannot_read_says_what_it_understood_and_what_not(
        qtbot, page: SchedulePage, schedule: Schedule) -> None:
    page.find_button.click()
    dialog = page.find_dialog
    assert dialog is not None
    search(qtbot, dialog, "blorp the zorg")
    assert dialog.model.rowCount() == 0
    assert dialog.understood.isVisible() and not dialog.book_button.isEnabled()
    text = dialog.understood.text()
    assert "Could not read" in text and "“blorp”" in text and "“zorg”" in text
    assert "Dr. Patel next Tuesday afternoon" in text  # how to say it instead

    search(qtbot, dialog, "any intake slot tomorow after 4pm")
    understood = dialog.understood.text()
    assert "Intake assessment" in understood and "after 4:00 PM" in understood
    assert "Not understood, left out of the search: “tomorow”" in understood
    assert dialog.model.rowCount() > 0
    assert all(r.found.slot.start_local.time() >= time(16) for r in dialog.model.rows())

    dialog.phrase_edit.clear()
    dialog.after_box.setCurrentIndex(dialog.after_box.findText("5:00 PM"))
    dialog.before_box.setCurrentIndex(dialog.before_box.findText("9:00 AM"))
    dialog.find_button.click()
    assert "must be earlier" in dialog.message.text()


def test_a_role_that_cannot_book_finds_slots_but_is_offered_no_booking(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    page = SchedulePage(practice.session_for("billing"), bridge)
    qtbot.addWidget(page)
    dialog = page.find_slot()
    assert dialog is not None and dialog.book_button.isHidden()
    with qtbot.waitSignal(dialog.sig_searched, timeout=WAIT):
        dialog.find_button.click()
    assert dialog.model.rowCount() > 0
    dialog.choose()
    assert page.dialog is None and dialog.isVisible()
