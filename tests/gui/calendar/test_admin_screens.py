"""Administrator screens of the schedule: appointment types, and time off approved with its
appointments moved to a covering provider in one step."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.admin_types import AppointmentTypesPage
from mentalspace_desktop.gui.calendar.time_off import CoverDialog, TimeOffPage
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.services.scheduling.availability import AvailabilityService
from mentalspace_desktop.services.scheduling.setup import ScheduleSetupService
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


def test_an_administrator_adds_a_type_and_bad_input_is_explained(
        qtbot, qtmodeltester, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    page = AppointmentTypesPage(practice.admin, bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    qtmodeltester.check(page.model, force_py=True)
    assert page.model.rowCount() == 4
    page.clear_form()
    page.name.setText("Family session")
    page.category.setCurrentIndex(page.category.findData("family"))
    page.minutes.setValue(60)
    page.after.setValue(15)
    page.cpt.setText("9084")  # one digit short
    page.rate.setText("150")
    page.save()
    qtbot.waitUntil(lambda: "five characters" in page.message.text(), timeout=WAIT)
    page.cpt.setText("90847")
    with qtbot.waitSignal(page.sig_saved, timeout=WAIT):
        page.save()
    saved = next(t for t in ScheduleSetupService(practice.admin).types() if t.name == "Family session")
    assert (saved.default_minutes, saved.buffer_after, saved.cpt_code, saved.rate_cents) == (60, 15, "90847", 15000)


def test_approving_time_off_offers_covering_providers_and_moves_in_one_step(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    visit = schedule.book("visit", provider="clinician", client="Ana Rivera", hour=10)
    schedule.book("other", provider="supervisor", client="Marcus Hill", hour=11, room="Room 2")  # proves the type
    AvailabilityService(practice.session_for("clinician")).request_time_off(
        practice.users["clinician"], datetime.combine(schedule.day, datetime.min.time()),
        datetime.combine(schedule.day, datetime.min.time()) + timedelta(hours=23, minutes=59), reason="Conference")
    page = TimeOffPage(practice.admin, bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    page.provider_box.setCurrentIndex(page.provider_box.findData(practice.users["clinician"]))
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.reload()
    assert [r.reason for r in page.requests_model.rows()] == ["Conference"]
    assert page.hours_model.rowCount() == 7  # every day 8–18 (the test practice)
    page.requests.selectRow(0)
    assert page.approve_button.isEnabled()
    page.approve_button.click()
    qtbot.waitUntil(lambda: page.cover_dialog is not None, timeout=WAIT)
    dialog = page.cover_dialog
    assert isinstance(dialog, CoverDialog)
    box = dialog.choices[visit]
    assert box.itemData(0) == practice.users["supervisor"]  # free then and sees individual therapy
    with qtbot.waitSignal(dialog.sig_moved, timeout=WAIT):
        dialog.move_button.click()
    assert AppointmentService(practice.admin).get(visit).provider_id == practice.users["supervisor"]


def test_hours_are_added_for_a_provider(qtbot, practice: PracticeFixture, bridge: EventBridge,
                                        schedule: Schedule) -> None:
    page = TimeOffPage(practice.admin, bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    page.provider_box.setCurrentIndex(page.provider_box.findData(practice.users["other_clinician"]))
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.reload()
    before = page.hours_model.rowCount()
    page.day_box.setCurrentIndex(5)
    page.from_box.setCurrentIndex(page.from_box.findData(9 * 60))
    page.to_box.setCurrentIndex(page.to_box.findData(13 * 60))
    page.add_hours.click()
    qtbot.waitUntil(lambda: page.hours_model.rowCount() == before + 1, timeout=WAIT)
    assert "Saturday" in {page.hours_model.data(page.hours_model.index(i, 0)) for i in range(before + 1)}
