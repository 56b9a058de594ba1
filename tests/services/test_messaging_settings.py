"""Messaging settings in solo mode: kept in the encrypted store, never synced, secrets write-only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.messaging_settings import (
    MessagingSettingsService,
    SmtpInput,
    TwilioInput,
    smtp_settings,
    twilio_settings,
)
from mentalspace_desktop.store.messaging_models import MessagingSetting
from mentalspace_desktop.store.models import SYNCED_TABLES, AuditEntry, OutboxEntry
from mentalspace_desktop.sync import tables
from tests.factories import PracticeFixture
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_server import SmtpServer

PASSWORD = "app-password-3141"
TOKEN = "0123456789abcdef0123456789abcdef"


def _smtp(server: SmtpServer | None = None, **changes: object) -> SmtpInput:
    values: dict[str, object] = dict(host="smtp.riverside.example", port=587, username="frontdesk",
                                     password=PASSWORD, sender="Riverside Counseling <frontdesk@riverside.example>")
    if server is not None:
        values.update(host=server.host, port=server.port, cafile=server.cafile)
    values.update(changes)
    return SmtpInput(**values)  # type: ignore[arg-type]


def _twilio(**changes: object) -> TwilioInput:
    values: dict[str, object] = dict(account_sid="AC" + "a1" * 16, auth_token=TOKEN, from_number="(404) 555-0100",
                                     webhook_base="https://hub.riverside.example/")
    values.update(changes)
    return TwilioInput(**values)  # type: ignore[arg-type]


def test_saved_in_the_store_with_secrets_write_only(practice: PracticeFixture) -> None:
    service = MessagingSettingsService(practice.admin)
    assert service.view().smtp is None and smtp_settings(practice.admin.store) is None
    view = service.save_smtp(_smtp())
    assert view.kept_on == "workstation" and view.smtp is not None
    assert view.smtp.password_set and PASSWORD not in repr(view)
    view = service.save_twilio(_twilio())
    assert view.twilio is not None and view.twilio.auth_token_set and TOKEN not in repr(view)
    assert view.twilio.from_number == "+14045550100" and view.twilio.webhook_base == "https://hub.riverside.example"
    # What the senders get: everything, secrets included.
    smtp = smtp_settings(practice.admin.store)
    twilio = twilio_settings(practice.admin.store)
    assert smtp is not None and smtp.password == PASSWORD and smtp.username == "frontdesk" and smtp.starttls
    assert twilio is not None and twilio.auth_token == TOKEN and twilio.api_base == "https://api.twilio.com"


def test_saving_without_a_new_secret_keeps_the_old(practice: PracticeFixture) -> None:
    service = MessagingSettingsService(practice.admin)
    service.save_smtp(_smtp())
    service.save_twilio(_twilio())
    service.save_smtp(_smtp(password=None, port=2525))
    service.save_twilio(_twilio(auth_token=None, from_number="+1 404 555 0199"))
    smtp, twilio = smtp_settings(practice.admin.store), twilio_settings(practice.admin.store)
    assert smtp is not None and smtp.password == PASSWORD and smtp.port == 2525
    assert twilio is not None and twilio.auth_token == TOKEN and twilio.from_number == "+14045550199"


def test_never_synced_and_changes_are_audited(practice: PracticeFixture) -> None:
    store = practice.admin.store
    with store.read() as s:
        before = s.scalar(select(OutboxEntry.device_seq).order_by(OutboxEntry.device_seq.desc()).limit(1)) or 0
    MessagingSettingsService(practice.admin).save_smtp(_smtp())
    with store.read() as s:
        pushed = list(s.scalars(select(OutboxEntry).where(OutboxEntry.device_seq > before)))
        assert all(e.table_name != "messaging_settings" for e in pushed)
        assert PASSWORD not in "".join(e.row + e.changes for e in pushed)
        audited = s.scalars(select(AuditEntry).where(AuditEntry.record_type == "messaging")).all()
        assert [a.record_id for a in audited] == ["smtp"] and PASSWORD not in audited[0].summary
        assert s.get(MessagingSetting, "smtp") is not None
    assert "messaging_settings" not in SYNCED_TABLES
    assert "messaging_settings" not in tables.TABLES


@pytest.mark.parametrize("role", ["front_desk", "clinician", "billing", "supervisor"])
def test_only_administrators(practice: PracticeFixture, role: str) -> None:
    service = MessagingSettingsService(practice.session_for(role))
    with pytest.raises(PermissionDenied):
        service.view()
    with pytest.raises(PermissionDenied):
        service.save_smtp(_smtp())
    with pytest.raises(PermissionDenied):
        service.test_text("+14045550123")


@pytest.mark.parametrize(("changes", "field"), [
    ({"host": ""}, "host"), ({"host": "smtp example.com"}, "host"), ({"port": 0}, "port"),
    ({"sender": "front desk"}, "sender"), ({"password": None}, "password"),
    ({"starttls": False}, "starttls"),
])
def test_smtp_mistakes_are_named(practice: PracticeFixture, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MessagingSettingsService(practice.admin).save_smtp(_smtp(**changes))
    assert field in caught.value.fields
    assert smtp_settings(practice.admin.store) is None  # nothing half-saved


def test_a_loopback_relay_may_go_without_starttls(practice: PracticeFixture) -> None:
    MessagingSettingsService(practice.admin).save_smtp(_smtp(host="127.0.0.1", starttls=False, username=""))
    smtp = smtp_settings(practice.admin.store)
    assert smtp is not None and not smtp.starttls and smtp.password == ""


@pytest.mark.parametrize(("changes", "field"), [
    ({"account_sid": "AB123"}, "account_sid"), ({"auth_token": "short"}, "auth_token"),
    ({"auth_token": None}, "auth_token"), ({"from_number": "555"}, "from_number"),
    ({"webhook_base": "http://hub.riverside.example"}, "webhook_base"),
    ({"webhook_base": "https://hub.example/?x=1"}, "webhook_base"), ({"api_base": "ftp://x"}, "api_base"),
])
def test_twilio_mistakes_are_named(practice: PracticeFixture, changes: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        MessagingSettingsService(practice.admin).save_twilio(_twilio(**changes))
    assert field in caught.value.fields


def test_send_a_test_email_through_the_saved_settings(practice: PracticeFixture, smtp_server: SmtpServer) -> None:
    service = MessagingSettingsService(practice.admin)
    assert not service.test_email("jordan@riverside.example").ok  # not set up yet
    service.save_smtp(_smtp(smtp_server, username=""))
    result = service.test_email("jordan@riverside.example")
    assert result.ok, result.message
    (got,) = smtp_server.received
    assert got.recipients == ["jordan@riverside.example"] and "Test message" in got.message["Subject"]
    smtp_server.refuse("nobody@riverside.example")
    refused = service.test_email("nobody@riverside.example")
    assert not refused.ok and "550" in refused.message
    assert not service.test_email("not an address").ok


def test_send_a_test_text_through_the_saved_settings(practice: PracticeFixture, fake_twilio: FakeTwilio) -> None:
    service = MessagingSettingsService(practice.admin)
    service.save_twilio(_twilio(account_sid=fake_twilio.account_sid, auth_token=fake_twilio.auth_token,
                                api_base=fake_twilio.base_url))
    result = service.test_text("404-555-0123")
    assert result.ok, result.message
    (got,) = fake_twilio.messages
    assert got.form["To"] == "+14045550123" and got.form["From"] == "+14045550100"
    assert "StatusCallback" not in got.form  # a test's delivery report belongs to no reminder
    fake_twilio.fail_number("+14045550124", 21614)
    refused = service.test_text("404-555-0124")
    assert not refused.ok and "cannot receive text messages" in refused.message
    assert not service.test_text("call me").ok


def test_channels_follow_what_is_set_up(practice: PracticeFixture) -> None:
    from mentalspace_desktop.services.messaging_settings import channels

    store = practice.admin.store
    assert channels(smtp_settings(store), twilio_settings(store)) == {}
    MessagingSettingsService(practice.admin).save_twilio(_twilio())
    made = channels(smtp_settings(store), twilio_settings(store), practice_phone="+14045550100")
    assert sorted(made) == ["sms", "voice"] and all(made[name].name == name for name in made)
