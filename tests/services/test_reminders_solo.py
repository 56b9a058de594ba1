"""Solo mode: ``run_solo(store)`` sends through the messaging settings kept in the workstation's store
(the ``twilio`` client against a Twilio-speaking server on loopback, e-mail through a real SMTP
server), once, and catches up only on what is still useful."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from mentalspace_desktop.integrations import twilio_poll
from mentalspace_desktop.services.messaging_settings import SmtpInput, TwilioInput, write_smtp, write_twilio
from mentalspace_desktop.services.reminders.solo import poll_solo, run_solo
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.factories import PracticeFixture
from tests.hub.reminder_seed import free_port
from tests.services.reminder_fixtures import EMAIL, MOBILE, WED10, reminders_for
from tests.services.scheduling_fixtures import NOW, build
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_server import SmtpServer

PRACTICE = "+14045550100"


def test_the_app_sends_due_reminders_through_its_own_settings(practice: PracticeFixture, fake_twilio: FakeTwilio,
                                                               smtp_server: SmtpServer) -> None:
    rem = reminders_for(build(practice), NOW)
    rem.book()
    store = practice.admin.store
    with store.write(practice.admin.actor.user_id) as s:
        write_twilio(s, TwilioInput(fake_twilio.account_sid, fake_twilio.auth_token, "+14045550100",
                                    api_base=fake_twilio.base_url), user_id=None)
        write_smtp(s, SmtpInput(smtp_server.host, smtp_server.port, sender="Peachtree <frontdesk@peachtree.example>",
                                cafile=smtp_server.cafile), user_id=None)
    assert run_solo(store, now=lambda: NOW).sent == 0  # Monday 09:00: nothing due yet
    # the app was closed until 90 minutes before the visit: only the 2-hour reminders go
    late = WED10 - timedelta(minutes=90)
    summary = run_solo(store, now=lambda: late)
    assert summary.sent == 2 and summary.skipped == 2
    assert [m.form["To"] for m in fake_twilio.messages] == [MOBILE]
    assert "Wednesday, March 4 at 10:00 AM" in fake_twilio.messages[0].form["Body"]
    assert [r.message["To"] for r in smtp_server.received] == [EMAIL]
    assert run_solo(store, now=lambda: late).sent == 0
    assert len(fake_twilio.messages) == 1 and len(smtp_server.received) == 1


def test_solo_mode_reads_replies_and_statuses_from_twilio_once_each(practice: PracticeFixture, fake_twilio: FakeTwilio,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """No webhook reaches a workstation: the texts clients send back and the delivery statuses are
    listed and fetched from Twilio's REST API (page by page), handled as the hub handles them, each
    text once; a confirmation is answered by text and audited."""
    rem = reminders_for(build(practice), NOW)
    appointment = rem.book()
    store = practice.admin.store
    with store.write(practice.admin.actor.user_id) as s:
        write_twilio(s, TwilioInput(fake_twilio.account_sid, fake_twilio.auth_token, PRACTICE,
                                    api_base=fake_twilio.base_url), user_id=None)
    late = WED10 - timedelta(minutes=110)
    assert run_solo(store, now=lambda: late).sent == 1
    [reminder] = fake_twilio.messages
    monkeypatch.setattr(twilio_poll, "PAGE_SIZE", 1)  # two texts: two pages, as Twilio pages a long list
    fake_twilio.receive(from_="+14045559999", to=PRACTICE, body="who is this?", at=late + timedelta(minutes=1))
    fake_twilio.receive(from_=MOBILE, to=PRACTICE, body=" Yes! ", at=late + timedelta(minutes=2))
    fake_twilio.receive(from_=MOBILE, to="+14045550199", body="C", at=late + timedelta(minutes=2))  # another number
    fake_twilio.receive(from_="+14045558888", to=PRACTICE, body="old", at=late - timedelta(days=3))  # before the look
    fake_twilio.set_status(reminder.sid, "delivered")
    admin = practice.admin.actor
    polled = poll_solo(store, now=lambda: late + timedelta(minutes=3), signed_in=(admin.user_id, admin.username))
    assert (polled.replies, polled.answered, polled.statuses, polled.errors) == (2, 1, 1, [])
    assert fake_twilio.fetched() == 3  # two pages of the list, one message's status
    with store.read() as s:
        a = s.get(Appointment, appointment)
        assert a is not None and a.status == "confirmed" and a.confirmed_via == "sms"
        inbound = {m.body: m for m in s.scalars(select(InboundMessage))}
        row = s.scalar(select(ReminderMessage).where(ReminderMessage.provider_message_id == reminder.sid))
        audited = list(s.scalars(select(AuditEntry).where(AuditEntry.action.like("reply_%"))))
    assert set(inbound) == {"who is this?", " Yes! "} and inbound["who is this?"].needs_attention
    assert row is not None and row.state == "delivered"
    assert [(e.action, e.record_id) for e in audited] == [("reply_confirmed", appointment)]
    # named for whoever is signed in (a hub accepts an entry naming nobody only for a sign-in attempt)
    assert (audited[0].user_id, audited[0].username) == (admin.user_id, admin.username)
    assert "by the client's reply" in audited[0].summary
    answer = fake_twilio.messages[-1]
    assert answer.form["To"] == MOBILE and "confirmed" in answer.form["Body"] and len(fake_twilio.messages) == 2
    # the next look reads nothing twice, answers nothing twice, and asks only about unsettled messages
    again = poll_solo(store, now=lambda: late + timedelta(minutes=4))
    assert (again.replies, again.answered, again.statuses) == (0, 0, 0) and len(fake_twilio.messages) == 2
    fake_twilio.receive(from_=MOBILE, to=PRACTICE, body="HELP", at=late + timedelta(minutes=5))
    helped = poll_solo(store, now=lambda: late + timedelta(minutes=6))
    assert (helped.replies, helped.answered) == (1, 1) and "(404) 555-0100" in fake_twilio.messages[-1].form["Body"]


def test_polling_without_twilio_says_so(practice: PracticeFixture) -> None:
    assert poll_solo(practice.admin.store, now=lambda: NOW).describe() == "text messages are not set up"


def test_twilio_unreachable_is_said_and_the_next_look_starts_from_the_same_place(practice: PracticeFixture) -> None:
    from mentalspace_desktop.integrations.twilio_rest import TwilioSettings
    from mentalspace_desktop.services.reminders.solo import POLL_KEY
    from mentalspace_desktop.store.models import SyncState

    down = TwilioSettings("AC" + "0" * 32, "t" * 32, PRACTICE, api_base=f"http://127.0.0.1:{free_port()}", timeout=2)
    polled = poll_solo(practice.admin.store, twilio=down, now=lambda: NOW)
    assert polled.replies == 0 and polled.errors and "could not list" in polled.describe()
    with practice.admin.store.read() as s:
        assert s.get(SyncState, POLL_KEY) is None


def test_a_workstation_clock_running_ahead_loses_no_reply(practice: PracticeFixture, fake_twilio: FakeTwilio) -> None:
    """Where the next look starts is worked out from Twilio's own times: a workstation whose clock runs an
    hour ahead of Twilio's still reads a text sent between two looks."""
    rem = reminders_for(build(practice), NOW)
    rem.book()
    store = practice.admin.store
    with store.write(practice.admin.actor.user_id) as s:
        write_twilio(s, TwilioInput(fake_twilio.account_sid, fake_twilio.auth_token, PRACTICE,
                                    api_base=fake_twilio.base_url), user_id=None)
    real = WED10 - timedelta(hours=20)  # Twilio's clock
    ahead = timedelta(hours=1)  # the workstation's
    fake_twilio.receive(from_="+14045559999", to=PRACTICE, body="first", at=real - timedelta(minutes=30))
    assert poll_solo(store, now=lambda: real + ahead).replies == 1
    fake_twilio.receive(from_="+14045559999", to=PRACTICE, body="second", at=real + timedelta(minutes=5))
    assert poll_solo(store, now=lambda: real + ahead + timedelta(minutes=6)).replies == 1
    with store.read() as s:
        assert {m.body for m in s.scalars(select(InboundMessage))} == {"first", "second"}
