"""The client picker the booking, waitlist and group forms share: typed text finds clients, Up/Down
move through the matches and Enter takes one — without also pressing the form's main button."""

from __future__ import annotations

import pytest

from mentalspace_desktop.gui.calendar.booking_dialog import BookingDialog, proposal_at
from mentalspace_desktop.gui.calendar.client_picker import ClientPicker
from mentalspace_desktop.gui.calendar.waitlist import AddToWaitlistDialog
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.services.scheduling.waitlist import WaitlistService
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


def take(qtbot, picker: ClientPicker, text: str, downs: int = 0) -> None:
    qtbot.keyClicks(picker.edit, text)
    with qtbot.waitSignal(picker.sig_results, timeout=WAIT):
        picker.search()
    for _ in range(downs):
        qtbot.keyClick(picker.edit, Qt.Key.Key_Down)
    qtbot.keyClick(picker.edit, Qt.Key.Key_Return)


def test_enter_takes_the_highlighted_client_in_the_booking_and_waitlist_forms(
        qtbot, practice: PracticeFixture, schedule: Schedule) -> None:
    desk = practice.session_for("front_desk")
    booking = BookingDialog(desk, proposal_at(schedule.at(10), 50, practice.users["clinician"]))
    qtbot.addWidget(booking)
    booking.show()
    take(qtbot, booking.client_picker, "Rivera")
    assert booking.client_id == schedule.clients["Ana Rivera"] and booking.isVisible()
    assert booking.client_picker.results.isHidden() and "Ana" in booking.client_picker.chosen.text()

    waitlist = AddToWaitlistDialog(desk)
    qtbot.addWidget(waitlist)
    waitlist.show()
    take(qtbot, waitlist.client_picker, "Park")
    assert waitlist.client_id == schedule.clients["Leo Park"] and waitlist.isVisible()
    with qtbot.waitSignal(waitlist.sig_added, timeout=WAIT):
        qtbot.keyClick(waitlist.client_picker.edit, Qt.Key.Key_Return)  # now Enter is the form's Add
    assert [e.client_id for e in WaitlistService(practice.admin).entries()] == [schedule.clients["Leo Park"]]
