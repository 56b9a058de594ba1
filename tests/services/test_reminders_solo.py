"""Solo mode: ``run_solo(store)`` sends through the messaging settings kept in the workstation's store
(the ``twilio`` client against a Twilio-speaking server on loopback, e-mail through a real SMTP
server), once, and catches up only on what is still useful."""

from __future__ import annotations

from datetime import timedelta

from mentalspace_desktop.services.messaging_settings import SmtpInput, TwilioInput, write_smtp, write_twilio
from mentalspace_desktop.services.reminders.solo import run_solo
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import EMAIL, MOBILE, WED10, reminders_for
from tests.services.scheduling_fixtures import NOW, build
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_server import SmtpServer


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
