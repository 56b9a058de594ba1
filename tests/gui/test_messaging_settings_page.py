"""The messaging settings screen (solo mode): saved in the store, secrets shown only as set, tests in a worker."""

from __future__ import annotations

import pytest

from mentalspace_desktop.gui.admin.messaging_settings import SET, MessagingSettingsPage
from mentalspace_desktop.gui.qt import QLabel, QLineEdit, QSpinBox
from mentalspace_desktop.services.messaging_settings import smtp_settings, twilio_settings
from tests.factories import PracticeFixture
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_server import SmtpServer

pytestmark = pytest.mark.gui
WAIT = 20_000


@pytest.fixture
def page(qtbot, practice: PracticeFixture) -> MessagingSettingsPage:
    shown = MessagingSettingsPage(practice.admin)
    qtbot.addWidget(shown)
    qtbot.waitUntil(shown.smtp.isEnabled, timeout=WAIT)
    return shown


def _finish(qtbot, task) -> None:  # type: ignore[no-untyped-def]
    assert task is not None
    with qtbot.waitSignal(task.sig_finished, timeout=WAIT):
        pass


def test_every_field_has_a_name_and_a_keyboard_label(page: MessagingSettingsPage) -> None:
    edits = [e for e in page.findChildren(QLineEdit) if not isinstance(e.parent(), QSpinBox)]
    assert edits and all(e.accessibleName() for e in edits)
    buddies = {label.buddy() for label in page.findChildren(QLabel) if label.buddy() is not None}
    for edit in (page.smtp.host, page.smtp.port, page.smtp.password, page.smtp.test_to, page.twilio.account_sid,
                 page.twilio.auth_token, page.twilio.from_number, page.twilio.test_to):
        assert edit in buddies, edit.accessibleName()
    assert not page.twilio.webhook_base.isVisibleTo(page)  # solo mode: no hub to reach


def test_save_then_send_a_test_email(qtbot, page: MessagingSettingsPage, practice: PracticeFixture,
                                     smtp_server: SmtpServer) -> None:
    card = page.smtp
    card.host.setText(smtp_server.host)
    card.port.setValue(smtp_server.port)
    card.sender_edit.setText("Riverside Counseling <frontdesk@riverside.example>")
    card.test_to.setText("jordan@riverside.example")
    assert page.test_email() is None  # unsaved: the test would not use what is on the screen
    assert "Save your changes first" in card.message.text()
    _finish(qtbot, page.save_smtp())
    assert card.message.text() == "E-mail settings saved." and not card.dirty
    saved = smtp_settings(practice.admin.store)
    assert saved is not None and saved.host == smtp_server.host
    # The fixture's server trusts only its own certificate: tell the saved settings about it, as an
    # administrator's relay with a private authority would be set up from the command line.
    from mentalspace_desktop.services.messaging_settings import SmtpInput, write_smtp

    with practice.admin.store.write(practice.admin.actor.user_id) as s:
        write_smtp(s, SmtpInput(smtp_server.host, smtp_server.port, sender=saved.sender, cafile=smtp_server.cafile),
                   user_id=practice.admin.actor.user_id)
    _finish(qtbot, page.test_email())
    assert card.message.property("role") == "ok", card.message.text()
    assert smtp_server.received[0].recipients == ["jordan@riverside.example"]


def test_secrets_are_write_only_and_a_failed_test_says_why(qtbot, page: MessagingSettingsPage,
                                                           practice: PracticeFixture, fake_twilio: FakeTwilio) -> None:
    card = page.twilio
    card.account_sid.setText(fake_twilio.account_sid)
    card.auth_token.setText(fake_twilio.auth_token)
    card.from_number.setText("404 555 0100")
    _finish(qtbot, page.save_twilio())
    assert card.auth_token.text() == "" and card.auth_token.placeholderText() == SET
    assert card.from_number.text() == "+14045550100"
    saved = twilio_settings(practice.admin.store)
    assert saved is not None and saved.auth_token == fake_twilio.auth_token
    # Point the saved account at the local Twilio (not on the screen), then test a landline.
    from dataclasses import replace

    from mentalspace_desktop.services.messaging_settings import TwilioInput, write_twilio

    with practice.admin.store.write(practice.admin.actor.user_id) as s:
        write_twilio(s, replace(TwilioInput(saved.account_sid, None, saved.from_number), api_base=fake_twilio.base_url),
                     user_id=None)
    fake_twilio.fail_number("+14045550124", 21614)
    card.test_to.setText("404-555-0124")
    _finish(qtbot, page.test_text())
    assert card.message.property("role") == "error"
    assert "cannot receive text messages" in card.message.text()
    card.test_to.setText("")
    assert page.test_text() is None and "Enter where to send" in card.message.text()


def test_a_mistake_is_named_and_nothing_is_saved(qtbot, page: MessagingSettingsPage, practice: PracticeFixture) -> None:
    page.twilio.account_sid.setText("AC123")
    page.twilio.from_number.setText("+14045550100")
    _finish(qtbot, page.save_twilio())
    assert page.twilio.message.property("role") == "error"
    assert "account SID" in page.twilio.message.text() and "auth token" in page.twilio.message.text()
    assert twilio_settings(practice.admin.store) is None


def test_a_hub_that_cannot_send_is_said_on_the_screen(page: MessagingSettingsPage) -> None:
    """The hub's answer names why it cannot send (started without its secrets key): the screen shows it."""
    from mentalspace_desktop.services.messaging_settings import MessagingView

    problem = "The hub was started without the key that opens its messaging secrets (secrets.key)."
    page._loaded(MessagingView(None, None, "hub", problem))
    assert page.status.text() == problem
    page._loaded(MessagingView(None, None, "hub"))
    assert page.status.text() == ""
