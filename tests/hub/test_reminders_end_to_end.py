"""Reminders end to end on the hub, through the real channels: the ``twilio`` client talking to a
Twilio-speaking server on loopback (which signs its webhooks to the hub), and e-mail with its
invitation through a real SMTP server (STARTTLS), the ``.ics`` read back with ``icalendar``.

- STOP texted to the hub, then a due reminder: no text is sent (the e-mail still goes).
- A reschedule after the invitation went: an update with a higher SEQUENCE and the new DTSTART.
- A delivery report posted before the send request is answered is kept and applied.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy import Engine, func, select

from mentalspace_desktop.hub import db, secrets_at_rest
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services.reminders import HUB_AUDIT_DEVICE, hub_engine
from mentalspace_desktop.hub.settings import HubSettings
from mentalspace_desktop.integrations.twilio_rest import SMS_INBOUND_PATH, SMS_STATUS_PATH
from mentalspace_desktop.services.messaging_settings import SmtpInput, TwilioInput, write_smtp, write_twilio
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.reminder_models import EarlyDeliveryReport, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, BusyBlock, ContactPreference
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import seed
from tests.hub.reminder_seed import MOBILE, free_port, hub_process, seed_reminders
from tests.support.fake_twilio import FakeTwilio
from tests.support.smtp_server import SmtpServer

EMAIL = "lucia@example.org"
PRACTICE_NUMBER = "+14045550100"


@dataclass
class Practice:
    url: str
    engine: Engine
    appointment: str
    twilio: FakeTwilio
    smtp: SmtpServer

    def run_job(self) -> None:
        with hub_engine(db.session_factory(self.engine)) as engine:
            engine.run_once()

    def emails(self) -> list[EmailMessage]:
        return [r.message for r in self.smtp.received]


@pytest.fixture
def practice(tmp_path: Path, fake_twilio: FakeTwilio, smtp_server: SmtpServer) -> Iterator[Practice]:
    data = tmp_path / "hub"
    data.mkdir()
    url = f"sqlite:///{data / 'hub.db'}"
    (data / "hub.json").write_text(json.dumps({"database_url": url}))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    engine = db.make_engine(url)
    db.prepare(engine)
    users, _ = seed(engine)
    with db.session_factory(engine)() as s, s.begin():  # what the administrator's settings screen saves
        write_twilio(s, TwilioInput(fake_twilio.account_sid, fake_twilio.auth_token, PRACTICE_NUMBER,
                                    webhook_base=base, api_base=fake_twilio.base_url), user_id=None)
        write_smtp(s, SmtpInput(smtp_server.host, smtp_server.port, sender="Peachtree <frontdesk@peachtree.example>",
                                cafile=smtp_server.cafile), user_id=None)
    start = utcnow().replace(microsecond=0) + timedelta(hours=1, minutes=50)  # its 2-hour reminders are due
    seeded = seed_reminders(engine, users, starts=[start], channels="sms,email", email=EMAIL)
    try:
        with hub_process(data, port) as hub_url:
            # The hub sealed the secrets under its key at start; the job run here opens them with it.
            assert secrets_at_rest.install(engine, HubSettings.load(data))
            yield Practice(hub_url, engine, seeded.appointments[0], fake_twilio, smtp_server)
    finally:
        engine.dispose()


def invitation(message: EmailMessage) -> icalendar.Component:
    for part in message.walk():
        if part.get_content_type() == "application/ics":
            data = part.get_payload(decode=True)
            assert isinstance(data, bytes)
            return icalendar.Calendar.from_ical(data)
    raise AssertionError("no invitation attached")


def test_stop_then_a_due_reminder_sends_no_text(practice: Practice) -> None:
    answer = practice.twilio.send_inbound(practice.url + SMS_INBOUND_PATH, from_=MOBILE, to=PRACTICE_NUMBER,
                                          body="STOP")
    assert answer.status_code == 200
    with db.session_factory(practice.engine)() as s:
        pref = s.scalar(select(ContactPreference))
        assert pref is not None and pref.sms_opted_out_at is not None and not pref.allow_sms
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.device_id == HUB_AUDIT_DEVICE))
        assert (entry.action, entry.record_type, entry.client_id) == ("reply_opted_out", "contact_preference",
                                                                      pref.client_id)
    practice.run_job()
    practice.run_job()
    assert practice.twilio.messages == []
    assert len(practice.emails()) == 1 and practice.emails()[0]["To"] == EMAIL


def test_a_reschedule_after_sending_sends_an_update_with_a_higher_sequence(practice: Practice) -> None:
    practice.run_job()
    assert len(practice.twilio.messages) == 1 and practice.twilio.messages[0].form["To"] == MOBILE
    first = invitation(practice.emails()[0])
    event = next(iter(first.walk("VEVENT")))
    assert str(first["METHOD"]) == "REQUEST" and int(str(event["SEQUENCE"])) == 0
    uid = str(event["UID"])
    # the delivery report, signed by the provider, reaches the hub
    sid = practice.twilio.messages[0].sid
    assert practice.twilio.send_status(practice.url + SMS_STATUS_PATH, sid, "delivered").status_code == 204
    # the front desk moves the visit three hours later (as a pushed change is written on the hub)
    with db.session_factory(practice.engine)() as s, s.begin():
        repo.lock_writes(s)
        a = s.get(Appointment, practice.appointment)
        block = s.get(BusyBlock, practice.appointment)
        assert a is not None and block is not None
        a.start_at, a.end_at = a.start_at + timedelta(hours=3), a.end_at + timedelta(hours=3)
        a.start_local = a.start_at.astimezone(ZoneInfo("America/New_York")).replace(tzinfo=None)
        block.start_at, block.end_at = a.start_at, a.end_at
        moved_to = a.start_at
        s.flush()
        repo.number_writes(s, [repo.stamp(s, a, op="update", user_id=None, device_id=None),
                               repo.stamp(s, block, op="update", user_id=None, device_id=None)])
    practice.run_job()
    assert len(practice.emails()) == 2 and len(practice.twilio.messages) == 1  # the text is not repeated
    update = invitation(practice.emails()[1])
    event = next(iter(update.walk("VEVENT")))
    assert str(update["METHOD"]) == "REQUEST" and str(event["UID"]) == uid and int(str(event["SEQUENCE"])) == 1
    assert event.decoded("DTSTART").astimezone(UTC) == moved_to.astimezone(UTC)
    practice.run_job()
    assert len(practice.emails()) == 2
    with db.session_factory(practice.engine)() as s:
        states = {m.kind + ":" + m.channel: m.state for m in s.scalars(select(ReminderMessage))}
    assert states["reminder:sms"] == "delivered" and states["updated:email"] == "sent"
    assert datetime.now(UTC) < moved_to


def test_a_delivery_report_that_comes_before_the_send_is_answered_is_kept_and_applied(practice: Practice) -> None:
    """Twilio may post the status callback before answering the create request: the hub has no SID
    to match it to yet. The report is kept and applied when the SID is recorded."""
    practice.twilio.report_before_answer = "delivered"
    practice.run_job()
    assert practice.twilio.early_reports == [204]  # the hub took the report while the send was unanswered
    with db.session_factory(practice.engine)() as s:
        row = s.scalar(select(ReminderMessage).where(ReminderMessage.channel == "sms",
                                                     ReminderMessage.state != "skipped"))
        kept = s.scalar(select(func.count()).select_from(EarlyDeliveryReport))
    assert row is not None and row.provider_message_id == practice.twilio.messages[0].sid
    assert row.state == "delivered" and row.delivered_at is not None and kept == 0
    # a later, out-of-order "sent" changes nothing
    assert practice.twilio.send_status(practice.url + SMS_STATUS_PATH, row.provider_message_id, "sent").status_code \
        == 204
    with db.session_factory(practice.engine)() as s:
        again = s.get(ReminderMessage, row.id)
        assert again is not None and again.state == "delivered"
