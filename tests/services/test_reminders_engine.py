"""The reminder engine on a real encrypted store: what is due, sent once, retried, skipped, moved,
withdrawn; invitation updates with a higher SEQUENCE; replies; delivery reports."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.reminders.outgoing import DeliveryReport, InboundReply, SendFailed
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.scheduling.appointments import AppointmentService
from mentalspace_desktop.store.reminder_models import EarlyDeliveryReport, InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, ContactPreference
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import EMAIL, MOBILE, WED10, Reminders, reminders_for
from tests.services.scheduling_fixtures import NOW, build


@pytest.fixture
def rem(practice: PracticeFixture) -> Reminders:
    return reminders_for(build(practice), NOW)


def ics(data: bytes | None) -> icalendar.Component:
    assert data is not None
    return icalendar.Calendar.from_ical(data)


def sequence(event: icalendar.Component) -> int:
    return int(str(event["SEQUENCE"]))


def messages(rem: Reminders) -> list[ReminderMessage]:
    with rem.sched.practice.admin.store.read() as s:
        return list(s.scalars(select(ReminderMessage).order_by(ReminderMessage.created_at, ReminderMessage.key)))


def test_due_reminders_go_once_each_by_channel(rem: Reminders) -> None:
    appointment = rem.book()
    engine = rem.engine()
    assert engine.due() == []  # Monday 09:00: the 2-day reminder is due Monday 10:00
    soon = engine.due(within=timedelta(hours=2))
    assert {(d.channel, d.offset_minutes) for d in soon} == {("sms", 2880), ("email", 2880)}
    assert all(d.first_name == "Lucia" and not d.blocked for d in soon)
    rem.clock.at = WED10 - timedelta(days=2)
    summary = engine.run_once()
    assert summary.sent == 2
    assert engine.run_once().sent == 0  # nothing twice
    sms = rem.channels["sms"].sent
    assert len(sms) == 1 and sms[0].to == MOBILE and "Lucia" in sms[0].text and "Wednesday, March 4" in sms[0].text
    assert "10:00 AM" in sms[0].text and "Individual therapy" not in sms[0].text and "Moreno" not in sms[0].text
    mail = rem.channels["email"].sent
    assert len(mail) == 1 and mail[0].to == EMAIL and mail[0].calendar_method == "REQUEST"
    cal = ics(mail[0].calendar)
    event = next(iter(cal.walk("VEVENT")))
    assert str(cal["METHOD"]) == "REQUEST" and sequence(event) == 0
    assert event.decoded("DTSTART") == WED10
    rows = messages(rem)
    assert {r.state for r in rows} == {"queued"} and all(r.appointment_id == appointment for r in rows)


def test_a_move_after_sending_updates_the_invitation_and_a_cancel_withdraws_it(rem: Reminders) -> None:
    appointment = rem.book()
    engine = rem.engine()
    rem.clock.at = WED10 - timedelta(days=2)
    engine.run_once()
    svc = AppointmentService(rem.sched.session("front_desk"), now=rem.clock)
    svc.move(appointment, datetime(2026, 3, 4, 14, 0))
    summary = engine.run_once()
    assert summary.updates == 1 and len(rem.channels["sms"].sent) == 1  # the text is not repeated
    update = rem.channels["email"].sent[-1]
    event = next(iter(ics(update.calendar).walk("VEVENT")))
    assert sequence(event) == 1 and event.decoded("DTSTART") == WED10 + timedelta(hours=4)
    assert "2:00 PM" in update.text
    assert engine.run_once().updates == 0
    # the 2-hour reminder follows the appointment to its new time
    rem.clock.at = WED10 + timedelta(hours=2)
    assert engine.run_once().sent == 2
    assert "2:00 PM" in rem.channels["sms"].sent[-1].text
    svc.cancel(appointment, reason="sick")
    assert engine.run_once().updates == 1
    cancel = rem.channels["email"].sent[-1]
    cal = ics(cancel.calendar)
    assert str(cal["METHOD"]) == "CANCEL" and cancel.calendar_method == "CANCEL"
    assert sequence(next(iter(cal.walk("VEVENT")))) == 2
    assert engine.run_once().updates == 0


def test_a_cancelled_appointment_gets_no_pending_reminders(rem: Reminders) -> None:
    appointment = rem.book()
    AppointmentService(rem.sched.session("front_desk"), now=rem.clock).cancel(appointment)
    rem.clock.at = WED10 - timedelta(hours=2)
    assert rem.engine().run_once().sent == 0 and messages(rem) == []


def test_catching_up_sends_only_the_latest_useful_reminder(rem: Reminders) -> None:
    rem.book()
    rem.clock.at = WED10 - timedelta(hours=1, minutes=30)  # the app was closed for two days
    summary = rem.engine().run_once()
    assert summary.sent == 2 and summary.skipped == 2
    sent = rem.channels["sms"].sent + rem.channels["email"].sent
    assert all(m.key.endswith((":120:sms", ":120:email")) for m in sent)
    skipped = [m for m in messages(rem) if m.state == "skipped"]
    assert {m.offset_minutes for m in skipped} == {2880}
    assert "later reminder goes instead" in (skipped[0].error_reason or "")
    rem.clock.at = WED10 - timedelta(minutes=10)
    assert rem.engine().run_once().sent == 0


def test_no_text_without_sms_consent_and_none_after_stop(rem: Reminders) -> None:
    rem.book()
    with rem.sched.practice.admin.store.write() as s:
        pref = s.scalar(select(ContactPreference).where(ContactPreference.client_id == rem.client))
        assert pref is not None
        pref.sms_consent_at = None  # allowed, but no date: not consent on record
    blocked = rem.engine().due(within=timedelta(days=3))
    assert any("No consent" in " ".join(d.blocked) for d in blocked if d.channel == "sms")
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    assert rem.channels["sms"].sent == [] and len(rem.channels["email"].sent) == 1


def test_transient_failures_retry_with_backoff_and_permanent_ones_reach_the_desk(rem: Reminders) -> None:
    rem.book()
    rem.channels["sms"].fail_with = [SendFailed("busy", permanent=False, code="20429")]
    rem.channels["email"].fail_with = [SendFailed("550 no such mailbox", permanent=True, code="550")]
    rem.clock.at = WED10 - timedelta(days=2)
    engine = rem.engine()
    summary = engine.run_once()
    assert summary.retrying == 1 and summary.failed == 1 and summary.sent == 0
    failed = [m for m in messages(rem) if m.state == "failed"][0]
    assert failed.needs_attention and failed.error_code == "550" and "mailbox" in (failed.error_reason or "")
    assert engine.run_once().sent == 0  # not yet: backoff
    rem.clock.advance(minutes=1)
    assert engine.run_once().sent == 1
    assert len(rem.channels["sms"].sent) == 1
    row = [m for m in messages(rem) if m.channel == "sms"][0]
    assert row.attempts == 2 and row.state == "queued"
    assert engine.run_once().sent == 0 and len(rem.channels["email"].sent) == 0


def test_an_interrupted_send_is_never_repeated(rem: Reminders) -> None:
    rem.book()
    rem.clock.at = WED10 - timedelta(days=2)

    class Dies(Exception):
        pass

    def crash(_message: object) -> None:
        raise KeyboardInterrupt  # the process dies between claiming and recording

    rem.channels["sms"].send = crash  # type: ignore[assignment,method-assign]
    with pytest.raises(KeyboardInterrupt):
        rem.engine().run_once()
    rem.channels = {"sms": type(rem.channels["email"])("sms"), "email": rem.channels["email"]}
    rem.clock.advance(minutes=10)
    summary = rem.engine().run_once()
    # both were claimed together; the e-mail went, the text may have: neither is sent again by itself
    assert summary.uncertain == 2 and summary.sent == 0 and rem.channels["sms"].sent == []
    assert all(m.state == "uncertain" and m.needs_attention for m in messages(rem))
    rem.clock.advance(hours=1)
    assert rem.engine().run_once().sent == 0


def reply(body: str, sid: str, number: str = MOBILE, at: datetime | None = None) -> InboundReply:
    return InboundReply("sms", number, "+14045550000", body, sid, at or datetime(2026, 3, 2, 16, tzinfo=UTC))


def test_replies_confirm_cancel_stop_start_help_and_replays_change_nothing(rem: Reminders) -> None:
    appointment = rem.book()
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    handler = ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock)
    out = handler.handle(reply("  yes! ", "SM1"))
    assert out.action == "confirmed" and "confirmed" in out.answer
    replay = handler.handle(reply("  yes! ", "SM1"))
    assert not replay.recorded and replay.action == "confirmed"  # answered as before, done once
    with rem.sched.practice.admin.store.read() as s:
        a = s.get(Appointment, appointment)
        assert a is not None and a.status == "confirmed" and a.confirmed_via == "sms"
    assert handler.handle(reply("HELP", "SM2")).answer.startswith("Peachtree Counseling")
    assert handler.handle(reply("what time is parking?", "SM3")).needs_attention
    assert handler.handle(reply("STOP", "SM4")).action == "opted_out"
    rem.clock.at = WED10 - timedelta(hours=2)
    rem.engine().run_once()
    assert len(rem.channels["sms"].sent) == 1  # STOP, then a due reminder: no text
    assert handler.handle(reply("start", "SM5")).action == "opted_in"
    out = handler.handle(reply("c", "SM6"))
    assert out.action == "cancelled"
    with rem.sched.practice.admin.store.read() as s:
        a = s.get(Appointment, appointment)
        assert a is not None and a.status == "cancelled"
        inbox = list(s.scalars(select(InboundMessage).where(InboundMessage.needs_attention.is_(True))))
    assert [i.provider_message_id for i in inbox] == ["SM3"]
    unknown = handler.handle(reply("Y", "SM7", number="+14045559999"))
    assert unknown.needs_attention and unknown.action == "inbox"
    past = handler.handle(reply("Y", "SM8", at=WED10 + timedelta(days=1)))
    assert past.needs_attention


def test_a_reply_about_a_past_appointment_goes_to_the_inbox(rem: Reminders) -> None:
    rem.book()
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    rem.clock.at = WED10 + timedelta(hours=3)
    out = ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(reply("y", "SM9"))
    assert out.needs_attention and out.action == "inbox"
    with rem.sched.practice.admin.store.read() as s:
        row = s.scalar(select(InboundMessage).where(InboundMessage.provider_message_id == "SM9"))
        assert row is not None and "passed" in (row.reason or "")


def test_delivery_reports_move_states_forward_only(rem: Reminders) -> None:
    rem.book()
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    handler = ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock)
    sid = [m for m in messages(rem) if m.channel == "sms"][0].provider_message_id
    assert sid
    at = rem.clock.at
    assert handler.delivery(DeliveryReport(sid, "delivered", None, at))
    assert handler.delivery(DeliveryReport(sid, "sent", None, at))
    assert not handler.delivery(DeliveryReport("SMnope", "delivered", None, at))
    row = [m for m in messages(rem) if m.channel == "sms"][0]
    assert row.state == "delivered" and row.delivered_at == at


def test_cancel_cancels_and_stops_texts_as_the_carrier_does_and_tells_the_desk(rem: Reminders) -> None:
    appointment = rem.book()
    rem.clock.at = WED10 - timedelta(days=2)
    rem.engine().run_once()
    out = ReplyHandler(StoreLedger(rem.sched.practice.admin.store), now=rem.clock).handle(reply("Cancel.", "SMc"))
    assert out.action == "cancelled" and out.needs_attention and "cancelled" in out.answer
    with rem.sched.practice.admin.store.read() as s:
        a = s.get(Appointment, appointment)
        pref = s.scalar(select(ContactPreference).where(ContactPreference.client_id == rem.client))
        row = s.scalar(select(InboundMessage).where(InboundMessage.provider_message_id == "SMc"))
    assert a is not None and a.status == "cancelled" and not a.late_cancel
    assert pref is not None and pref.sms_opted_out_at is not None and not pref.allow_sms
    assert row is not None and "text START" in (row.reason or "")


def test_a_report_that_crossed_the_recording_of_its_id_is_applied_by_the_next_run(rem: Reminders) -> None:
    """The callback's transaction found no message with its SID (the sender had not committed it
    yet) and the sender's found no kept report (the callback had not committed it yet): the next run
    of the engine applies it. A report whose message never gets its id is let go after a few days."""
    rem.book()
    rem.clock.at = WED10 - timedelta(minutes=110)
    rem.engine().run_once()
    store = rem.sched.practice.admin.store
    with store.write(None) as s:  # as the callback saw the row: no SID yet
        row = s.scalar(select(ReminderMessage).where(ReminderMessage.channel == "sms",
                                                     ReminderMessage.state == "queued"))
        assert row is not None
        sid, row.provider_message_id = row.provider_message_id, None
    handler = ReplyHandler(StoreLedger(store), now=rem.clock)
    assert handler.delivery(DeliveryReport(str(sid), "undelivered", "30003", rem.clock.at)) is False
    assert handler.delivery(DeliveryReport("SMnever", "delivered", None, rem.clock.at)) is False
    with store.write(None) as s:
        fresh = s.get(ReminderMessage, row.id)
        assert fresh is not None and fresh.state == "queued"
        fresh.provider_message_id = sid
    rem.clock.advance(minutes=1)
    rem.engine().run_once()
    with store.read() as s:
        fresh = s.get(ReminderMessage, row.id)
        assert fresh is not None and fresh.state == "undelivered" and fresh.needs_attention
        assert fresh.error_reason == "The phone could not be reached"
        assert [k.provider_message_id for k in s.scalars(select(EarlyDeliveryReport))] == ["SMnever"]
    rem.clock.advance(days=4)
    rem.engine().run_once()
    with store.read() as s:
        assert s.scalars(select(EarlyDeliveryReport)).all() == []
