"""Today (check-in in one key, the late and the no-shows so far) and the waitlist's freed-slot offer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from mentalspace_desktop.domain.calendar_layout import CalendarView
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.appointment_dialog import AppointmentDialog
from mentalspace_desktop.gui.calendar.schedule_page import SchedulePage
from mentalspace_desktop.gui.calendar.today import TodayPage
from mentalspace_desktop.gui.calendar.waitlist import OfferSlotDialog, WaitlistPage
from mentalspace_desktop.gui.qt import Qt
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.services.scheduling.waitlist import WaitlistInput, WaitlistService
from tests.factories import PracticeFixture
from tests.gui.calendar.helpers import Schedule, seed_schedule, services_at

pytestmark = [
    pytest.mark.gui,
]
WAIT = 20_000


@pytest.fixture
def today_schedule(practice: PracticeFixture) -> Schedule:
    """Booked for today in the practice's zone (New York), whatever the computer's zone and hour."""
    return seed_schedule(practice, datetime.now(ZoneInfo("America/New_York")).date())


def test_today_lists_every_provider_in_time_order_and_checks_in_with_one_key(
        qtbot, qtmodeltester, practice: PracticeFixture, bridge: EventBridge, today_schedule: Schedule,
        monkeypatch: pytest.MonkeyPatch) -> None:
    s = today_schedule
    late = s.book("late", provider="clinician", client="Ana Rivera", hour=9)
    services_at(monkeypatch, s.at(9, 20))  # the check-in at the page's 9:20, not the hour the tests run
    s.book("later", provider="supervisor", client="Marcus Hill", hour=10, room="Room 2", telehealth=True,
           link="https://meet.example/room-7")
    s.book("gone", provider="other_clinician", client="Priya Shah", hour=8, room="Group room")
    page = TodayPage(practice.session_for("front_desk"), bridge, now=lambda: s.at(9, 20))
    qtbot.addWidget(page)
    page.resize(1280, 800)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    qtmodeltester.check(page.model, force_py=True)
    rows = page.model.rows()
    assert [r.client_name for r in rows] == ["Shah, Priya", "Rivera, Ana", "Hill, Marcus"]
    standing = [page.model.data(page.model.index(i, 5)) for i in range(3)]
    assert standing == ["No-show so far", "Late (20 min)", "Expected"]
    assert "1 late" in page.summary.text() and "1 no-show so far" in page.summary.text()
    assert page.model.data(page.model.index(2, 4)) == "Telehealth · link ready"
    assert page.selected() is not None and page.selected().id == late  # the first one still awaited
    page.table.setFocus()
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        qtbot.keyClick(page.table, Qt.Key.Key_I)
    assert AppointmentService(practice.admin).get(late).status == "checked_in"
    assert page.model.data(page.model.index(1, 5)).startswith("Checked in")
    # the reload a change event starts may finish before the check-in's own answer arrives
    qtbot.waitUntil(lambda: "checked in" in page.message.text(), timeout=WAIT)
    page.table.selectRow(2)
    assert page.join_button.isEnabled() and page.copy_button.isEnabled()


def test_a_clinicians_home_shows_only_their_own_day(
        qtbot, practice: PracticeFixture, bridge: EventBridge, today_schedule: Schedule) -> None:
    s = today_schedule
    s.book("mine", provider="clinician", client="Ana Rivera", hour=9)
    s.book("theirs", provider="supervisor", client="Marcus Hill", hour=10, room="Room 2")
    page = TodayPage(practice.session_for("clinician"), bridge, now=lambda: s.at(8))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    assert [r.client_name for r in page.model.rows()] == ["Rivera, Ana"]


def test_waitlist_offer_of_a_freed_slot_books_the_client_who_accepts(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    waitlist = WaitlistService(practice.admin)
    routine = waitlist.add(WaitlistInput(client_id=schedule.clients["Leo Park"], urgency="routine"))
    urgent = waitlist.add(WaitlistInput(client_id=schedule.clients["Kim Nguyen"], urgency="urgent",
                                        provider_id=practice.users["clinician"]))
    page = WaitlistPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.show()
    assert [i.id for i in page.model.rows()] == [urgent, routine]
    assert "urgent" in page.why.text().lower()
    dialog = page.offer_slot(provider_id=practice.users["clinician"], start=schedule.at(14), minutes=50,
                             type_id=schedule.types["Individual therapy"])
    assert isinstance(dialog, OfferSlotDialog)
    with qtbot.waitSignal(dialog.sig_matched, timeout=WAIT):
        pass
    assert dialog.model.rows()[0].id == urgent  # she asked for this provider and is urgent
    assert dialog.model.data(dialog.model.index(0, 2))  # the reasons are spelled out
    dialog.offer_button.click()
    qtbot.waitUntil(dialog.accepted_button.isVisible, timeout=WAIT)
    assert "Nguyen, Kim" in dialog.outcome_label.text()
    with qtbot.waitSignal(dialog.sig_offer_did_finish, timeout=WAIT):
        dialog.accepted_button.click()
    assert "booked" in dialog.message.text()
    booked = [i for i in AppointmentService(practice.admin).calendar(schedule.day, schedule.day)
              if i.client_id == schedule.clients["Kim Nguyen"]]
    assert [(b.start_local, b.provider_id) for b in booked] == [(schedule.at(14), practice.users["clinician"])]
    assert [i.id for i in waitlist.entries()] == [routine]


def _cancel_from_the_calendar(qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule,
                              appointment: str) -> OfferSlotDialog:
    """Cancel ``appointment`` from its dialog on the day view; the offer of the freed time, matched."""
    page = SchedulePage(practice.session_for("front_desk"), bridge, today=lambda: schedule.day,
                        now=lambda: datetime.combine(schedule.day - timedelta(days=3), datetime.min.time()))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.calendar.sig_entries_loaded, timeout=WAIT):
        page.show()
        page.start(CalendarView.DAY, schedule.day)
    dialog = page.open_appointment(appointment)
    assert isinstance(dialog, AppointmentDialog)
    dialog.status_buttons["cancel"].click()  # first click asks for a reason
    dialog.cancel_reason.setText("Client is ill")
    with qtbot.waitSignal(dialog.sig_cancelled, timeout=WAIT):
        dialog.status_buttons["cancel"].click()
    offer = page.offer_dialog
    assert isinstance(offer, OfferSlotDialog)
    with qtbot.waitSignal(offer.sig_matched, timeout=WAIT):
        pass
    return offer


def test_cancelling_from_the_calendar_offers_the_freed_time(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    WaitlistService(practice.admin).add(WaitlistInput(client_id=schedule.clients["Leo Park"]))
    appointment = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    offer = _cancel_from_the_calendar(qtbot, practice, bridge, schedule, appointment)
    assert AppointmentService(practice.admin).get(appointment).status == "cancelled"
    assert offer.start_local() == schedule.at(9)
    assert [r.client_name for r in offer.model.rows()] == ["Park, Leo"]
    offer.reject()


def test_the_freed_time_is_not_offered_back_to_the_client_who_cancelled(
        qtbot, practice: PracticeFixture, bridge: EventBridge, schedule: Schedule) -> None:
    """Ana is on the waitlist for an earlier time and cancels her visit: the offer lists Leo only."""
    WaitlistService(practice.admin).add(WaitlistInput(client_id=schedule.clients["Leo Park"]))
    WaitlistService(practice.admin).add(WaitlistInput(client_id=schedule.clients["Ana Rivera"],
                                                      provider_id=practice.users["clinician"], urgency="urgent"))
    appointment = schedule.book("a", provider="clinician", client="Ana Rivera", hour=9)
    offer = _cancel_from_the_calendar(qtbot, practice, bridge, schedule, appointment)
    assert [r.client_name for r in offer.model.rows()] == ["Park, Leo"]
    offer.reject()


def test_past_appointments_still_scheduled_are_listed_for_an_outcome(
        qtbot, practice: PracticeFixture, bridge: EventBridge, today_schedule: Schedule) -> None:
    s = today_schedule
    past = s.book("past", provider="clinician", client="Ana Rivera", hour=9, days=-2)
    page = TodayPage(practice.session_for("front_desk"), bridge, now=lambda: s.at(9))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_stale_loaded, timeout=WAIT):
        page.show()
    assert page.stale_box.isVisibleTo(page)
    assert [r.id for r in page.stale_model.rows()] == [past]
    assert "(1)" in page.stale_title.text()
    with qtbot.waitSignal(page.sig_stale_loaded, timeout=WAIT):
        page.stale_buttons["no_show"].click()
    assert AppointmentService(practice.admin).get(past).status == "no_show"
    assert not page.stale_box.isVisibleTo(page)


def test_check_in_from_the_client_chart(
        qtbot, practice: PracticeFixture, bridge: EventBridge, today_schedule: Schedule,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from mentalspace_desktop.gui.clients.chart import ChartPage

    s = today_schedule
    visit = s.book("visit", provider="clinician", client="Ana Rivera", hour=16, telehealth=True,
                   link="https://meet.example/ana")
    s.book("later", provider="clinician", client="Ana Rivera", hour=10, days=7)
    services_at(monkeypatch, s.at(15, 30))  # half an hour before the visit: check-in is open
    chart = ChartPage(practice.session_for("front_desk"), bridge)
    qtbot.addWidget(chart)
    chart.show()
    pane = chart.appointments
    assert pane is not None
    pane.now = lambda: s.at(15, 30)  # the pane's own clock too: which visit is next, whatever the hour of the run
    with qtbot.waitSignal(chart.sig_loaded, timeout=WAIT):
        chart.load(s.clients["Ana Rivera"])
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        chart.tabs.setCurrentWidget(pane)  # read when looked at
    assert pane.model.rowCount() == 2
    assert pane.selected() is not None and pane.selected().id == visit
    assert "Next:" in pane.next_label.text()
    assert pane.join_button.isVisibleTo(pane) and pane.check_in_button.isEnabled()
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        pane.check_in_button.click()
    assert AppointmentService(practice.admin).get(visit).status == "checked_in"


def test_booked_twice_while_offline_is_listed_naming_both(
        qtbot, practice: PracticeFixture, bridge: EventBridge, today_schedule: Schedule) -> None:
    """Two workstations that booked the same provider while apart both keep their appointment; the
    desk sees the pair (written here as sync applies it: two rows, no booking check between them, and
    the hub's record of the clash)."""
    from mentalspace_desktop.store.scheduling_models import Appointment, ScheduleClash

    s = today_schedule
    first = s.book("first", provider="clinician", client="Ana Rivera", hour=15)
    with practice.admin.store.write(practice.admin.actor.user_id) as db:
        a = db.get(Appointment, first)
        assert a is not None
        twin = Appointment(client_id=s.clients["Marcus Hill"], provider_id=a.provider_id, type_id=a.type_id,
                           start_local=a.start_local, time_zone=a.time_zone, start_at=a.start_at, end_at=a.end_at,
                           status="scheduled", room_id=s.rooms["Room 2"])
        db.add(twin)
        db.flush()
        second = twin.id
        db.add(ScheduleClash(first_id=first, second_id=second, kind="provider", provider_id=a.provider_id,
                             start_at=a.start_at, end_at=a.end_at, status="open", detected_at=a.start_at))
    page = TodayPage(practice.session_for("front_desk"), bridge, now=lambda: s.at(9))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.sig_twice_loaded, timeout=WAIT):
        page.show()
    assert page.twice_box.isVisibleTo(page) and page.twice_list.count() == 1
    text = page.twice_list.item(0).text()
    assert "Rivera, Ana" in text and "Hill, Marcus" in text
    dialog = page.open_twice(1)
    assert isinstance(dialog, AppointmentDialog) and dialog.entry.id in (first, second)
    dialog.reject()
