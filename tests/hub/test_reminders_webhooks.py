"""Twilio's webhooks against a real hub process (uvicorn on loopback, its own SQLite database), with
requests signed by ``twilio.request_validator.RequestValidator``'s own algorithm under the auth token of the
practice's messaging settings: unsigned, forged or
tampered requests are refused with 403 and change nothing; a signed "Y" confirms, a key press 2
cancels, a replay changes nothing twice, a delivery report is recorded."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import Engine, func, select
from twilio.request_validator import RequestValidator

from mentalspace_desktop.domain.audit_chain import CHAINED_FIELDS, verify_chain
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.services.reminders import HUB_AUDIT_DEVICE, HubLedger
from mentalspace_desktop.services.messaging_settings import TwilioInput, write_twilio
from mentalspace_desktop.services.reminders.engine import ReminderEngine
from mentalspace_desktop.services.reminders.ledger import BY_REPLY
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentStatusChange
from mentalspace_desktop.store.sync_models import AuditChainHead, ChangeLog
from mentalspace_desktop.store.types import utcnow
from tests.hub.conftest import seed
from tests.hub.reminder_seed import MOBILE, RecordingChannel, free_port, hub_process, seed_reminders

TOKEN = "0123456789abcdef0123456789abcdef"
PRACTICE_NUMBER = "+14045550000"


@dataclass
class LiveHub:
    url: str
    engine: Engine
    appointment: str
    sms_sid: str
    call_sid: str

    def post(self, path: str, params: dict[str, str], *, token: str | None = TOKEN,
             signed_params: dict[str, str] | None = None) -> requests.Response:
        headers = {}
        if token is not None:
            headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(
                self.url + path, signed_params or params)
        return requests.post(self.url + path, data=params, headers=headers, timeout=10)

    def audit(self) -> list[AuditEntry]:
        """The hub's own audit chain, checked link by link against its head."""
        with db.session_factory(self.engine)() as s:
            entries = list(s.scalars(select(AuditEntry).where(AuditEntry.device_id == HUB_AUDIT_DEVICE)
                                     .order_by(AuditEntry.seq)))
            head = s.get(AuditChainHead, HUB_AUDIT_DEVICE)
            s.expunge_all()
        rows = [{**{k: getattr(e, k) for k in CHAINED_FIELDS}, "hash": e.hash, "prev_hash": e.prev_hash,
                 "at": e.at.isoformat()} for e in entries]
        assert verify_chain(rows, (head.seq, head.hash) if head else None) is None
        return entries

    def count(self, model: type) -> int:
        with db.session_factory(self.engine)() as s:
            return int(s.scalar(select(func.count()).select_from(model)) or 0)

    def status(self) -> str:
        with db.session_factory(self.engine)() as s:
            a = s.get(Appointment, self.appointment)
            assert a is not None
            return a.status


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveHub]:
    data = tmp_path / "hub"
    data.mkdir()
    url = f"sqlite:///{data / 'hub.db'}"
    (data / "hub.json").write_text(json.dumps({"database_url": url}))
    engine = db.make_engine(url)
    db.prepare(engine)
    users, _ = seed(engine)
    with db.session_factory(engine)() as s, s.begin():  # what the administrator's settings screen saves
        write_twilio(s, TwilioInput("AC" + "0" * 32, TOKEN, "+14045550100"), user_id=None)
    seeded = seed_reminders(engine, users, starts=[utcnow().replace(microsecond=0) + timedelta(hours=1, minutes=50)])
    sms, voice = RecordingChannel("sms"), RecordingChannel("voice")
    ReminderEngine(HubLedger(db.session_factory(engine)), {"sms": sms, "voice": voice}).run_once()
    with db.session_factory(engine)() as s:
        sids = {m.channel: m.provider_message_id for m in s.scalars(select(ReminderMessage))
                if m.provider_message_id}
    try:
        with hub_process(data, free_port()) as base:
            yield LiveHub(base, engine, seeded.appointments[0], str(sids["sms"]), str(sids["voice"]))
    finally:
        engine.dispose()


def inbound(body: str, sid: str = "SMin0001") -> dict[str, str]:
    return {"MessageSid": sid, "AccountSid": "AC1", "From": MOBILE, "To": PRACTICE_NUMBER, "Body": body}


def test_unsigned_forged_or_tampered_requests_are_refused_and_change_nothing(live: LiveHub) -> None:
    for path, params in (("/v1/reminders/twilio/sms/inbound", inbound("C")),
                         ("/v1/reminders/twilio/voice/gather", {"CallSid": live.call_sid, "Digits": "2", "To": MOBILE,
                                                      "From": PRACTICE_NUMBER, "Direction": "outbound-api"}),
                         ("/v1/reminders/twilio/sms/status", {"MessageSid": live.sms_sid, "MessageStatus": "failed",
                                                       "ErrorCode": "30003"})):
        assert live.post(path, params, token=None).status_code == 403
        assert live.post(path, params, token="f" * 32).status_code == 403  # signed with another token
        tampered = {**params, "Body": "Y"} if "Body" in params else {**params, "AccountSid": "AC2"}
        assert live.post(path, tampered, signed_params=params).status_code == 403
    assert live.count(InboundMessage) == 0 and live.status() == "scheduled" and live.count(AuditEntry) == 0
    with db.session_factory(live.engine)() as s:
        row = s.scalar(select(ReminderMessage).where(ReminderMessage.provider_message_id == live.sms_sid))
        assert row is not None and row.state == "queued" and not row.needs_attention


def test_a_signed_yes_confirms_once_and_a_replay_changes_nothing(live: LiveHub) -> None:
    before = live.count(ChangeLog)
    answer = live.post("/v1/reminders/twilio/sms/inbound", inbound(" yes. "))
    assert answer.status_code == 200 and "confirmed" in answer.text and "<Message>" in answer.text
    assert live.status() == "confirmed" and live.count(ChangeLog) > before
    again = live.post("/v1/reminders/twilio/sms/inbound", inbound(" yes. "))
    assert again.status_code == 200 and "<Message>" not in again.text
    assert live.count(InboundMessage) == 1
    with db.session_factory(live.engine)() as s:
        confirmations = s.scalar(select(func.count()).select_from(AppointmentStatusChange).where(
            AppointmentStatusChange.status == "confirmed"))
    assert confirmations == 1
    [entry] = live.audit()  # who (the client, by reply), through which message, what changed
    assert (entry.action, entry.record_id, entry.username, entry.user_id) == (
        "reply_confirmed", live.appointment, BY_REPLY, None)
    assert "text message SMin0001" in entry.summary and "scheduled → confirmed" in entry.summary
    help_answer = live.post("/v1/reminders/twilio/sms/inbound", inbound("HELP", "SMin0002"))
    assert "Peachtree Counseling" in help_answer.text


def test_a_key_press_cancels_and_delivery_reports_are_recorded(live: LiveHub) -> None:
    press = live.post("/v1/reminders/twilio/voice/gather", {"CallSid": live.call_sid, "Digits": "2", "To": MOBILE,
                                                  "From": PRACTICE_NUMBER, "Direction": "outbound-api"})
    assert press.status_code == 200 and "<Say" in press.text and "has been cancelled" in press.text
    assert live.status() == "cancelled"
    report = live.post("/v1/reminders/twilio/sms/status", {"MessageSid": live.sms_sid, "MessageStatus": "delivered"})
    assert report.status_code == 204
    failed_call = live.post("/v1/reminders/twilio/voice/status", {"CallSid": live.call_sid, "CallStatus": "no-answer"})
    assert failed_call.status_code == 204
    with db.session_factory(live.engine)() as s:
        states = {m.channel: m.state for m in s.scalars(select(ReminderMessage).where(
            ReminderMessage.provider_message_id.is_not(None)))}
    assert states == {"sms": "delivered", "voice": "no_answer"}
    [entry] = live.audit()
    assert entry.action == "reply_cancelled" and f"key press on a reminder call {live.call_sid}" in entry.summary
    assert "→ cancelled" in entry.summary
