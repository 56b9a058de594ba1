"""Group sessions: each member to remind (approved, enrolled, not cancelled for the session) gets the
reminder by their own consents, under their own idempotency key; a reply confirms or cancels that
member's place at that session (their ``group_attendance``), never the session; the text never names
the group, and a template that does is refused."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from mentalspace_desktop.domain.reminders.outgoing import InboundReply
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import BY_REPLY, StoreLedger
from mentalspace_desktop.services.reminders.settings import ReminderSettingsService, TemplateInput
from mentalspace_desktop.services.scheduling.groups import GroupInput, GroupService
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, GroupAttendance
from tests.factories import PracticeFixture
from tests.services.reminder_fixtures import MOBILE, WED10, WED10_LOCAL, Reminders, consent_sms, reminders_for
from tests.services.scheduling_fixtures import NOW, build

CHEN_MOBILE = "+14045550102"
GROUP_NAME = "Anxiety skills"


def group_session(rem: Reminders) -> tuple[str, str, str]:
    """A group session on Wednesday 10:00 with Lucia (texts and e-mail), Li Chen (texts only), Ben
    (cancelled for this session) and Ana (no number, no consent). Returns (session, Chen, Ben)."""
    sched = rem.sched
    chen = sched.practice.add_client(clinician="clinician", last="Chen", first="Li", phone_mobile="404-555-0102").id
    consent_sms(sched, chen, channel="")
    ben = sched.other_client
    consent_sms(sched, ben, channel="sms")
    desk = GroupService(sched.session("front_desk"), now=lambda: rem.clock.at)
    gid = desk.create(GroupInput(GROUP_NAME, sched.group_type, sched.practice.users["clinician"], capacity=6,
                                 room_id=sched.room2))
    for client in (rem.client, chen, ben, sched.client):
        desk.enroll(gid, client)
    desk.schedule_sessions(gid, WED10_LOCAL, "FREQ=WEEKLY;COUNT=1")
    [session] = desk.sessions(gid)
    desk.record_attendance(session.id, {ben: "cancelled"})
    return session.id, chen, ben


def reply(body: str, from_: str, sid: str, at: datetime) -> InboundReply:
    return InboundReply("sms", from_, "+14045550100", body, sid, at)


def test_each_member_is_reminded_and_a_reply_changes_only_their_place(practice: PracticeFixture) -> None:
    rem = reminders_for(build(practice), NOW)
    session, chen, ben = group_session(rem)
    rem.clock.at = WED10 - timedelta(minutes=119)
    summary = rem.engine().run_once()
    texts = rem.channels["sms"].sent
    assert sorted(m.to for m in texts) == sorted([MOBILE, CHEN_MOBILE])
    assert {m.key for m in texts} == {f"{session}:{rem.client}:120:sms", f"{session}:{chen}:120:sms"}
    assert [m.to for m in rem.channels["email"].sent] == ["ana@example.org"]  # Lucia's address
    assert all(GROUP_NAME not in m.text and "Group therapy" not in m.text for m in texts)
    assert summary.sent == 3
    assert rem.engine().run_once().sent == 0  # each member's reminder goes once
    with practice.admin.store.read() as s:
        keyed = {m.client_id for m in s.scalars(select(ReminderMessage))}
    assert keyed == {rem.client, chen}  # Ben cancelled his place; Ana has no number, address or consent

    handler = ReplyHandler(StoreLedger(practice.admin.store), now=rem.clock)
    cancelled = handler.handle(reply("C", CHEN_MOBILE, "SMchen", rem.clock.at))
    assert cancelled.action == "cancelled" and not cancelled.needs_attention
    assert "is cancelled" in cancelled.answer
    confirmed = handler.handle(reply("yes", MOBILE, "SMlucia", rem.clock.at))
    assert confirmed.action == "confirmed" and "confirmed" in confirmed.answer
    with practice.admin.store.read() as s:
        a = s.get(Appointment, session)
        assert a is not None and a.status == "scheduled"  # the session itself is untouched
        places = {r.client_id: (r.status, r.recorded_by) for r in s.scalars(select(GroupAttendance).where(
            GroupAttendance.appointment_id == session))}
        assert places[chen] == ("cancelled", "client") and places[ben][0] == "cancelled"
        assert rem.client not in places  # a confirmation is the reply's record; the sheet is for attendance
        entries = {e.action: e for e in s.scalars(select(AuditEntry).where(AuditEntry.username == BY_REPLY))}
    assert set(entries) == {"reply_cancelled", "reply_confirmed"}
    assert entries["reply_cancelled"].client_id == chen and "SMchen" in entries["reply_cancelled"].summary
    assert "cancelled" in entries["reply_cancelled"].summary and entries["reply_cancelled"].record_id == session
    assert entries["reply_confirmed"].client_id == rem.client and entries["reply_confirmed"].user_id is None
    # Chen's later reminders are withdrawn with their place; Lucia's still go
    rem.clock.at = WED10 - timedelta(minutes=60)
    assert rem.engine().run_once().sent == 0
    assert len(rem.channels["sms"].sent) == 2


def test_a_template_naming_the_group_is_refused(practice: PracticeFixture) -> None:
    rem = reminders_for(build(practice), NOW)
    group_session(rem)
    settings = ReminderSettingsService(rem.sched.practice.admin, now=lambda: NOW)
    with pytest.raises(ValidationError, match=GROUP_NAME):
        settings.check_template(TemplateInput("English", "sms", "Hi {first_name}, Anxiety Skills on {day}"))
    settings.check_template(TemplateInput("English", "sms", "Hi {first_name}, your group session on {day}"))
