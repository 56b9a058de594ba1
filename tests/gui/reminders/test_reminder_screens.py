"""The reminder screens against a real store: the template editor's per-field errors and live preview,
rules, the Messages inbox and its count in the navigation, an appointment's history and preview, and
consent in the chart."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from mentalspace_desktop.domain.reminders.outgoing import InboundReply, SendFailed
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.gui.bridge import EventBridge
from mentalspace_desktop.gui.calendar.appointment_dialog import AppointmentDialog
from mentalspace_desktop.gui.main_window import MainWindow, NavId
from mentalspace_desktop.gui.qt import Qt, QTimeEdit
from mentalspace_desktop.gui.reminders.client_pane import ClientRemindersPane
from mentalspace_desktop.gui.reminders.inbox_page import InboxCounter, MessagesPage
from mentalspace_desktop.gui.reminders.settings_page import ReminderSettingsPage
from mentalspace_desktop.gui.widgets import forms
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.reminders.views import describe_offsets, format_offsets, parse_offsets
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import MOBILE, WED10, Reminders, reminders_for
from tests.services.scheduling_fixtures import NOW, build

pytestmark = pytest.mark.gui
WAIT = 20_000


@pytest.fixture
def rem(practice: PracticeFixture) -> Reminders:
    return reminders_for(build(practice), NOW)


@pytest.fixture
def bridge(practice: PracticeFixture, qtbot: object) -> Iterator[EventBridge]:
    b = EventBridge(practice.admin.events)
    yield b
    b.detach()


@pytest.fixture
def sent(rem: Reminders) -> str:
    """An appointment whose 48-hour text went and whose e-mail failed, and a reply that needs a person."""
    appointment = rem.book()
    rem.channels["email"].fail_with = [SendFailed("550 mailbox unknown", permanent=True, code="550")]
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(
        InboundReply("sms", MOBILE, "+14045550000", "Can I come at 11?", "SMq1", rem.clock.at))
    return appointment


def settings_page(qtbot, rem: Reminders, bridge: EventBridge | None = None) -> ReminderSettingsPage:
    """The administrator's page, its editor showing the built-in English text and its preview."""
    page = ReminderSettingsPage(rem.sched.session("admin"), bridge)
    qtbot.addWidget(page)
    page.show()
    page.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: page.editor.body.toPlainText() != "" and page.editor.valid, timeout=WAIT)
    return page


def type_body(qtbot, page: ReminderSettingsPage, text: str) -> None:
    with qtbot.waitSignal(page.editor.sig_checked, timeout=WAIT):
        page.editor.body.setPlainText(text)


def test_offsets_are_read_the_way_an_administrator_writes_them() -> None:
    assert parse_offsets("48 h, 2h") == (2880, 120)
    assert parse_offsets("1 day; 90 min, 3") == (1440, 180, 90)
    assert format_offsets((120, 2880)) == "48 h, 2 h" and describe_offsets((2880, 120)) == "2 days and 2 hours before"
    for bad in ("soon", "", "2 weeks"):
        with pytest.raises(ValidationError):
            parse_offsets(bad)


def test_an_unknown_placeholder_is_shown_beside_the_text_and_cannot_be_saved(qtbot, rem: Reminders) -> None:
    page = settings_page(qtbot, rem)
    editor = page.editor
    assert editor.body.toPlainText().startswith("Hi {first_name}")  # the built-in words to start from
    assert editor.preview_text.text().startswith("Hi Jordan, this is a reminder")
    type_body(qtbot, page, "Hi {first_name}, see you {day}. {favourite_colour}")
    assert editor.body_error.isVisible() and "favourite_colour" in editor.body_error.text()
    assert bool(editor.body.property("invalid")) and not editor.save_button.isEnabled()
    assert editor.save() is None
    assert "problems above" in editor.preview_text.text()
    type_body(qtbot, page, "Hi {first_name}, see you {day} at {time}.")
    assert not editor.body_error.isVisible() and editor.save_button.isEnabled()
    assert editor.preview_text.text() == "Hi Jordan, see you Tuesday, March 10 at 10:00 AM."
    assert "1 text message part" in editor.segments.text()
    type_body(qtbot, page, "x" * 161)
    assert "2 text message parts" in editor.segments.text()


def test_placeholders_come_from_a_menu_and_a_saved_template_is_listed(qtbot, rem: Reminders, bridge) -> None:
    page = settings_page(qtbot, rem, bridge)
    editor = page.editor
    type_body(qtbot, page, "Hola ")
    editor.body.moveCursor(editor.body.textCursor().MoveOperation.End)
    action = next(a for a in editor.insert_menu.actions() if a.text().startswith("{first_name}"))
    with qtbot.waitSignal(editor.sig_checked, timeout=WAIT):
        action.trigger()
    assert editor.body.toPlainText() == "Hola {first_name}" and editor.preview_text.text() == "Hola Jordan"
    editor.channel.setCurrentIndex(editor.channel.findData("email"))  # a new e-mail template needs a subject
    qtbot.waitUntil(lambda: editor.subject.isVisible() and editor.body.toPlainText().startswith("Hello"),
                    timeout=WAIT)
    with qtbot.waitSignal(editor.sig_checked, timeout=WAIT):
        editor.subject.setText("")
    assert editor.subject_error.isVisible() and "subject" in editor.subject_error.text()
    assert not editor.body_error.isVisible()
    with qtbot.waitSignal(editor.sig_checked, timeout=WAIT):
        editor.subject.setText("See you {day}")
    assert editor.preview_subject.text() == "Subject: See you Tuesday, March 10"
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        editor.save()
    assert [(t.channel, t.subject) for t in page.templates_model.rows()] == [("email", "See you {day}")]


def test_a_rule_is_saved_from_what_is_typed_and_bad_times_are_refused(qtbot, rem: Reminders, bridge) -> None:
    page = settings_page(qtbot, rem, bridge)
    assert [r.type_name for r in page.rules_model.rows()] == ["Every appointment type"]
    page.new_rule()
    editor = page.rule_editor
    editor.applies.setCurrentIndex(editor.applies.findText("Intake assessment"))
    editor.offsets.setText("soon")
    assert editor.save() is None and "soon" in editor.message.text()
    editor.offsets.setText("24 h, 90 min")
    editor.channels["email"].setChecked(True)
    editor.quiet.setChecked(True)
    # quiet hours read and are typed as the practice's other times: 12-hour, "9:00 PM"
    assert (editor.quiet_start.text(), editor.quiet_end.text()) == ("9:00 PM", "8:00 AM")
    editor.quiet_end.setFocus()  # by keyboard: an hour earlier on the hour, then the minutes typed
    editor.quiet_end.setCurrentSection(QTimeEdit.Section.HourSection)
    qtbot.keyClick(editor.quiet_end, Qt.Key.Key_Down)
    editor.quiet_end.setSelectedSection(QTimeEdit.Section.MinuteSection)
    qtbot.keyClicks(editor.quiet_end, "30")
    assert editor.quiet_end.text() == "7:30 AM"
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        editor.save()
    rows = {r.type_name: r for r in page.rules_model.rows()}
    assert rows["Intake assessment"].offsets_minutes == (1440, 90)
    assert rows["Intake assessment"].channels == ("sms", "email")
    assert (rows["Intake assessment"].quiet_start, rows["Intake assessment"].quiet_end) == ("21:00", "07:30")
    intake = next(i for i, r in enumerate(page.rules_model.rows()) if r.type_name == "Intake assessment")
    assert page.rules_model.data(page.rules_model.index(intake, 3)) == "9:00 PM – 7:30 AM"
    assert page.rules_model.data(page.rules_model.index(1, 1)) == "1 day and 90 minutes before"


def test_marking_handled_lowers_the_count_in_the_navigation(qtbot, rem: Reminders, sent: str, bridge) -> None:
    window = MainWindow(rem.sched.session("front_desk"))
    qtbot.addWidget(window)
    window.show()
    item = window.nav.item(window.nav_ids().index(NavId.MESSAGES))
    qtbot.waitUntil(lambda: item.text() == "Messages (2)", timeout=WAIT)
    page = window.show_page(NavId.MESSAGES)
    assert isinstance(page, MessagesPage)
    qtbot.waitUntil(lambda: page.model.rowCount() == 2, timeout=WAIT)
    assert {page.model.data(page.model.index(r, 2)) for r in range(2)} == {"Reply", "Failed to send"}
    page.filter.setCurrentIndex(page.filter.findData("reply"))
    assert page.model.rowCount() == 1 and page.model.data(page.model.index(0, 1)) == "Moreno, Lucia"
    assert "Can I come at 11?" in page.detail.text()
    with qtbot.waitSignal(page.sig_open_client, timeout=WAIT) as opened:
        page.chart_button.click()
    assert opened.args == [rem.client]
    with qtbot.waitSignal(page.sig_loaded, timeout=WAIT):
        page.mark_handled()
    qtbot.waitUntil(lambda: item.text() == "Messages (1)", timeout=WAIT)
    page.filter.setCurrentIndex(page.filter.findData("failure"))  # the failed e-mail: one click to its appointment
    page.appointment_button.click()
    assert window.current_page_id() == NavId.SCHEDULE
    opened_dialog = window.page(NavId.SCHEDULE).dialog  # type: ignore[union-attr]
    assert isinstance(opened_dialog, AppointmentDialog) and opened_dialog.entry.id == sent
    opened_dialog.reject()
    window.show_page(NavId.MESSAGES)
    page.filter.setCurrentIndex(page.filter.findData("reply"))
    assert page.model.rowCount() == 0 and not page.empty.isHidden()
    page.show_handled.setChecked(True)
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=WAIT)
    assert page.model.data(page.model.index(0, 2)) == "Reply (handled)" and not page.handled_button.isEnabled()
    window.close_for_sign_out()


def test_the_count_follows_rows_that_sync_brings(qtbot, rem: Reminders, sent: str) -> None:
    counter = InboxCounter(rem.sched.session("front_desk"), None)
    with qtbot.waitSignal(counter.sig_count, timeout=WAIT) as counted:
        counter.refresh()
    assert counted.args == [2]
    ReminderDeskService(rem.sched.session("admin")).mark_handled(
        ReminderDeskService(rem.sched.session("admin")).inbox()[0].id)  # as if another workstation did it
    with qtbot.assertNotEmitted(counter.sig_count, wait=200):
        counter.tables_pulled({"appointments"})
    with qtbot.waitSignal(counter.sig_count, timeout=WAIT) as counted:
        counter.tables_pulled({"inbound_messages"})
    assert counted.args == [1]


def test_an_appointment_shows_its_reminders_and_previews_them_exactly(qtbot, rem: Reminders, sent: str) -> None:
    dialog = AppointmentDialog(rem.sched.session("front_desk"), sent)
    qtbot.addWidget(dialog)
    dialog.show()
    history = dialog.reminders.history
    qtbot.waitUntil(lambda: history.model.rowCount() == 3 or bool(dialog.reminders.message.text()), timeout=WAIT)
    assert dialog.reminders.message.text() == ""
    cells = [[history.model.data(history.model.index(r, c)) for c in range(5)] for r in range(3)]
    assert {(row[1], row[2]) for row in cells} == {("Text message", "Reminder"), ("E-mail", "Reminder"),
                                                  ("Text message", "Reply")}  # answered a reminder
    failed = next(row for row in cells if row[1] == "E-mail")
    assert failed[3] == "Failed: The mailbox does not exist"  # the provider error, in words
    history.view.selectRow(0)
    assert history.detail.isVisible() and history.detail.text()
    preview = dialog.reminders.open_preview()
    qtbot.waitUntil(lambda: len(preview.items) == 4, timeout=WAIT)
    sms = preview.items[0]
    assert sms.text.startswith("Hi Lucia, this is a reminder of your appointment")
    cards = [w.text() for w in preview.body.findChildren(type(preview.intro)) if w.objectName() == "card"]
    assert len(cards) == 4 and "Hi Lucia, this is a reminder" in cards[0]
    assert "already queued" in cards[0]  # the 48-hour text went
    assert preview.intro.text().startswith("4 reminders for this appointment: 2 sent or tried already, 2 still")


def test_consent_needs_its_source_and_a_stop_is_shown(qtbot, rem: Reminders, sent: str, bridge,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    pane = ClientRemindersPane(rem.sched.session("front_desk"), bridge)
    qtbot.addWidget(pane)
    pane.show()
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        pane.show_client(rem.client, can_edit=True)
    assert pane.status["sms"].text().startswith("Consent given") and "intake form" in pane.status["sms"].text()
    assert pane.status["voice"].text() == "No consent on record"
    assert pane.history.model.rowCount() == 3
    dialog = pane.record("voice")
    assert dialog.save() is None and "how the client gave consent" in dialog.message.text()
    dialog.source.setCurrentText("Verbal, by phone")
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        dialog.save()
    assert pane.status["voice"].text().startswith("Consent given") and "Verbal, by phone" in pane.status["voice"].text()
    assert pane.withdraw_buttons["voice"].isVisibleTo(pane)
    ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(
        InboundReply("sms", MOBILE, "+14045550000", "stop", "SMstop", rem.clock.at))
    pane.reload()  # what a sync that brings the STOP does
    qtbot.waitUntil(lambda: pane.status["sms"].text().startswith("Opted out: STOP received on 03/02/2026"),
                    timeout=WAIT)
    assert pane.status["sms"].property("role") == "danger"
    monkeypatch.setattr(forms, "ask", lambda *a, **k: True)
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        pane.withdraw("voice")
    assert pane.status["voice"].text() == "No consent on record"


def test_preferences_are_saved(qtbot, rem: Reminders) -> None:
    pane = ClientRemindersPane(rem.sched.session("front_desk"), None)
    qtbot.addWidget(pane)
    with qtbot.waitSignal(pane.sig_loaded, timeout=WAIT):
        pane.show_client(rem.client, can_edit=True)
    pane.preferred.setCurrentIndex(pane.preferred.findData("email"))
    pane.language.setCurrentText("Spanish")
    with qtbot.waitSignal(pane.save_preferences().sig_finished, timeout=WAIT):
        pass
    assert pane.message.text() == "Reminder preferences saved."
    view = ReminderDeskService(rem.sched.session("admin")).consent(rem.client)
    assert (view.preferred_channel, view.language) == ("email", "Spanish")


def test_the_tables_are_sound_qt_models(qtmodeltester, rem: Reminders, sent: str) -> None:
    from mentalspace_desktop.gui.reminders.models import HistoryModel, InboxModel, MonthlyModel, RulesModel
    from mentalspace_desktop.services.reminders.settings import ReminderSettingsService
    from mentalspace_desktop.services.reminders.stats import MonthlyCount

    desk = ReminderDeskService(rem.sched.session("admin"))
    for model, rows in ((HistoryModel(), desk.client_history(rem.client)), (InboxModel(), desk.inbox()),
                        (MonthlyModel(), [MonthlyCount("2026-03", "sms", 3, 2, 1, 7)]),
                        (RulesModel(), ReminderSettingsService(rem.sched.session("admin")).rules())):
        assert rows
        model.set_rows(rows)  # type: ignore[attr-defined]
        qtmodeltester.check(model)
