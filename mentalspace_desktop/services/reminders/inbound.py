"""Replies and delivery reports: what comes back from the provider, recorded once and acted on once.

A reply is recorded under the provider's message id (UNIQUE), in the same transaction as what it
does: a webhook delivered twice (the provider's retry, a replayed request) changes nothing the second
time. "Y"/"C" answers confirm or cancel the upcoming appointment that the latest reminder to that
number was about; STOP/START change SMS consent at once; HELP is answered with the practice's name
and phone. Everything else, an unknown number, or a reply about an appointment that has passed goes
to the front desk's Messages inbox with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.reminders.outgoing import DeliveryReport, InboundReply
from mentalspace_desktop.domain.reminders.replies import Intent, Reading, read_keypress, read_reply
from mentalspace_desktop.domain.reminders.templates import TemplateKind, Values, render
from mentalspace_desktop.domain.scheduling.status import Status, StatusError, check_transition, is_late_cancel
from mentalspace_desktop.domain.scheduling.times import to_local
from mentalspace_desktop.domain.scheduling.waitlist import FreedSlot, best_matches
from mentalspace_desktop.services.reminders import delivery
from mentalspace_desktop.services.reminders.engine import TOOK
from mentalspace_desktop.services.reminders.facts import (
    Context,
    Templates,
    contexts,
    latest_in_chain,
    practice_of,
    preference_row,
)
from mentalspace_desktop.services.reminders.group_members import CANCELLED, attendance_row, is_group_session
from mentalspace_desktop.services.reminders.ledger import Ledger
from mentalspace_desktop.services.scheduling.waitlist import _waiting
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentStatusChange,
    BusyBlock,
    GroupAttendance,
    WaitlistEntry,
)
from mentalspace_desktop.store.types import utcnow

BY_CLIENT = "client"
"""``appointment_status_history.by`` for a change the client made by replying (no member of staff)."""


@dataclass(frozen=True)
class ReplyOutcome:
    recorded: bool
    """False: this provider message id was handled before; nothing changed."""
    intent: Intent
    action: str
    """confirmed, cancelled, opted_out, opted_in, help, inbox (a person must look), duplicate."""
    answer: str = ""
    """What to answer the client with (the webhook's TwiML), or empty."""
    needs_attention: bool = False
    problem: str = ""
    """Why nothing was done, for the answer a caller hears: "unmatched" (no reminder or appointment to
    act on), "too_late" (it has passed, or can no longer change), "not_understood"; else empty."""


class ReplyHandler:
    def __init__(self, ledger: Ledger, *, now: Callable[[], datetime] = utcnow) -> None:
        self.ledger = ledger
        self.now = now

    def handle(self, reply: InboundReply) -> ReplyOutcome:
        """Record ``reply`` and do what it asks (see the module's docstring)."""
        reading = read_reply(reply.body) if reply.channel == "sms" else Reading(read_keypress(reply.body),
                                                                                reply.body.strip()[:1])
        try:
            with self.ledger.write() as s:
                earlier = s.scalar(select(InboundMessage).where(
                    InboundMessage.provider_message_id == reply.provider_id))
                if earlier is not None:  # a replay: answered as before, nothing done again
                    return ReplyOutcome(False, reading.intent, earlier.action or "duplicate")
                row = InboundMessage(provider_message_id=reply.provider_id, channel=reply.channel,
                                     from_number=reply.from_number[:20], body=reply.body[:1600],
                                     received_at=reply.received_at, intent=reading.intent.value, action="",
                                     needs_attention=False)
                s.add(row)
                s.flush()  # a concurrent twin stops here (UNIQUE provider_message_id)
                outcome = self._act(s, row, reply, reading)
                row.action, row.needs_attention = outcome.action, outcome.needs_attention
                return outcome
        except IntegrityError:
            return ReplyOutcome(False, reading.intent, "duplicate")

    # -- acting --------------------------------------------------------------------------------

    def _reminder_for(self, s: Session, reply: InboundReply) -> ReminderMessage | None:
        if reply.call_id:
            found = s.scalar(select(ReminderMessage).where(ReminderMessage.provider_message_id == reply.call_id))
            if found is not None:
                return found
        return s.scalar(select(ReminderMessage).where(
            ReminderMessage.to_address == reply.from_number, ReminderMessage.channel.in_(("sms", "voice")),
            ReminderMessage.state.in_(TOOK)).order_by(ReminderMessage.sent_at.desc()).limit(1))

    def _act(self, s: Session, row: InboundMessage, reply: InboundReply, reading: Reading) -> ReplyOutcome:
        now = self.now()
        reminder = self._reminder_for(s, reply)
        clients = list(s.scalars(select(Client.id).where(Client.phone_mobile == reply.from_number,
                                                         Client.deleted.is_(False))))
        client_id = reminder.client_id if reminder is not None else (clients[0] if len(clients) == 1 else None)
        row.client_id = client_id
        row.reminder_message_id = reminder.id if reminder is not None else None
        everyone = sorted(set(clients) | ({client_id} if client_id else set()))
        intent = reading.intent

        def inbox(reason: str, action: str = "inbox", answer: str = "", problem: str = "") -> ReplyOutcome:
            row.reason = reason[:300]
            return ReplyOutcome(True, intent, action, answer, needs_attention=True, problem=problem)

        if intent is Intent.OPT_OUT:
            for cid in everyone:
                self._opt_out(s, cid, now)
                self._audit(s, "reply_opted_out", None, cid, reply, "text messages withdrawn", "contact_preference")
            if not everyone:
                return inbox("Opted out from a number that belongs to no client", "opted_out")
            return ReplyOutcome(True, intent, "opted_out")
        if intent is Intent.OPT_IN:
            if not everyone:
                return inbox("Asked to receive texts from a number that belongs to no client")
            for cid in everyone:
                self._opt_in(s, cid, now)
                self._audit(s, "reply_opted_in", None, cid, reply, "text messages allowed again",
                            "contact_preference")
            return ReplyOutcome(True, intent, "opted_in")
        if intent is Intent.HELP:
            return ReplyOutcome(True, intent, "help", self._help(s))
        if intent is Intent.OTHER:
            if client_id is None:
                return inbox("A message from a number that belongs to no client", problem="unmatched")
            return inbox("A reply that needs a person", problem="not_understood")
        # confirm or cancel: the appointment the latest reminder to this number was about
        if reminder is None:
            return inbox("No reminder was sent to this number, so the reply cannot be matched to an appointment"
                         if client_id else "A message from a number that belongs to no client", problem="unmatched")
        a = latest_in_chain(s, reminder.appointment_id)
        if a is None or a.deleted:
            return inbox("The appointment this reply is about no longer exists", problem="unmatched")
        row.appointment_id, row.provider_id = a.id, a.provider_id
        if a.start_at <= now:
            return inbox("The reply is about an appointment that has already passed", problem="too_late")
        if is_group_session(a):
            if reminder.client_id is None:
                return inbox("The reply cannot be matched to a member of the group session", problem="unmatched")
            ctxs = contexts(s, [a], practice_of(s), member=reminder.client_id)
            outcome = self._member_reply(s, a, reminder.client_id, ctxs, reply, intent, now, inbox)
        else:
            ctxs = contexts(s, [a], practice_of(s))
            if intent is Intent.CONFIRM:
                return self._confirm(s, a, ctxs, reply, now, inbox)
            outcome = self._cancel(s, a, ctxs, reply, now, inbox)
        if intent is Intent.CONFIRM:
            return outcome
        if reading.carrier_opt_out and outcome.action == "cancelled":
            for cid in everyone:
                self._opt_out(s, cid, now)
            return inbox("Cancelled by texting CANCEL, which carriers also treat as an opt-out: texts to this "
                         "number have stopped. Ask the client to text START if they want reminders again",
                         "cancelled", outcome.answer)
        return outcome

    def _confirm(self, s: Session, a: Appointment, ctxs: list[Context], reply: InboundReply, now: datetime,
                 inbox: Callable[..., ReplyOutcome]) -> ReplyOutcome:
        if a.status == Status.CONFIRMED.value:
            return ReplyOutcome(True, Intent.CONFIRM, "confirmed", self._answer(s, ctxs, TemplateKind.REPLY_CONFIRMED))
        try:
            check_transition(Status(a.status), Status.CONFIRMED)
        except StatusError:
            return inbox(f"Asked to confirm an appointment that is {Status(a.status).label.lower()}",
                         problem="too_late")
        before = Status(a.status).label.lower()
        self._status(s, a, Status.CONFIRMED, now, reason=f"Confirmed by the client ({reply.channel})")
        a.confirmation, a.confirmed_at, a.confirmed_via = "confirmed", now, reply.channel
        self._audit(s, "reply_confirmed", a.id, a.client_id, reply, f"status {before} → confirmed")
        return ReplyOutcome(True, Intent.CONFIRM, "confirmed", self._answer(s, ctxs, TemplateKind.REPLY_CONFIRMED))

    def _cancel(self, s: Session, a: Appointment, ctxs: list[Context], reply: InboundReply, now: datetime,
                inbox: Callable[..., ReplyOutcome]) -> ReplyOutcome:
        if a.status == Status.CANCELLED.value:
            return ReplyOutcome(True, Intent.CANCEL, "cancelled", self._answer(s, ctxs, TemplateKind.REPLY_CANCELLED))
        try:
            check_transition(Status(a.status), Status.CANCELLED)
        except StatusError:
            return inbox(f"Asked to cancel an appointment that is {Status(a.status).label.lower()}",
                         problem="too_late")
        before = Status(a.status).label.lower()
        a.late_cancel = is_late_cancel(a.start_at, now)
        a.cancel_reason = "Cancelled by the client's reply"
        self._status(s, a, Status.CANCELLED, now, reason=a.cancel_reason)
        self._audit(s, "reply_cancelled", a.id, a.client_id, reply,
                    f"status {before} → cancelled" + (" (late cancellation)" if a.late_cancel else ""))
        block = s.get(BusyBlock, a.id)
        if block is not None:
            block.active = False
        answer = self._answer(s, ctxs, TemplateKind.REPLY_CANCELLED)
        waiting = self._waitlist_fits(s, a, now)
        if waiting:
            return inbox(f"Cancelled by the client; the time is free and {waiting} waiting client(s) fit it: "
                         "offer it from the waitlist", "cancelled", answer)
        return ReplyOutcome(True, Intent.CANCEL, "cancelled", answer)

    def _member_reply(self, s: Session, a: Appointment, client_id: str, ctxs: list[Context], reply: InboundReply,
                      intent: Intent, now: datetime, inbox: Callable[..., ReplyOutcome]) -> ReplyOutcome:
        """A group session's member confirms or cancels their own place at that session (their
        ``group_attendance``), never the session itself."""
        if a.status not in (Status.SCHEDULED.value, Status.CONFIRMED.value):
            return inbox(f"Answered about a group session that is {Status(a.status).label.lower()}", problem="too_late")
        row = attendance_row(s, a.id, client_id)
        if intent is Intent.CONFIRM:
            if row is not None and row.status == CANCELLED:
                return inbox("The member had cancelled their place at this group session and now confirms it: "
                             "check with them and correct the attendance sheet", problem="too_late")
            self._audit(s, "reply_confirmed", a.id, client_id, reply, "attendance at the group session confirmed")
            return ReplyOutcome(True, intent, "confirmed", self._answer(s, ctxs, TemplateKind.REPLY_CONFIRMED))
        answer = self._answer(s, ctxs, TemplateKind.REPLY_CANCELLED)
        if row is not None and row.status == CANCELLED:
            return ReplyOutcome(True, intent, "cancelled", answer)
        if row is None:
            s.add(GroupAttendance(group_id=a.group_id, appointment_id=a.id, client_id=client_id, status=CANCELLED,
                                  recorded_by=BY_CLIENT, recorded_at=now))
            before = "not recorded"
        else:
            before, row.status, row.recorded_by, row.recorded_at = row.status, CANCELLED, BY_CLIENT, now
        self._audit(s, "reply_cancelled", a.id, client_id, reply,
                    f"attendance at the group session {before} → cancelled")
        return ReplyOutcome(True, intent, "cancelled", answer)

    def _audit(self, s: Session, action: str, record_id: str | None, client_id: str | None, reply: InboundReply,
               change: str, record_type: str = "appointment") -> None:
        """Who (the client, by reply), through which message, and what changed."""
        how = "text message" if reply.channel == "sms" else "key press on a reminder call"
        self.ledger.audit(s, action=action, record_type=record_type, record_id=record_id, client_id=client_id,
                          summary=f"By the client's reply ({how} {reply.provider_id}): {change}")

    @staticmethod
    def _status(s: Session, a: Appointment, status: Status, now: datetime, *, reason: str) -> None:
        a.status, a.status_at, a.status_by = status.value, now, None
        s.add(AppointmentStatusChange(appointment_id=a.id, client_id=a.client_id, status=status.value, at=now,
                                      by=BY_CLIENT, reason=reason))

    @staticmethod
    def _waitlist_fits(s: Session, a: Appointment, now: datetime) -> int:
        """How many waiting clients fit the freed time (the front desk offers it: services/scheduling/waitlist)."""
        entries = [_waiting(e) for e in s.scalars(select(WaitlistEntry).where(
            WaitlistEntry.deleted.is_(False), WaitlistEntry.status == "waiting",
            WaitlistEntry.client_id != a.client_id))]
        slot = FreedSlot(a.provider_id, to_local(a.start_at, a.time_zone), a.type_id, a.telehealth)
        return len(best_matches(entries, slot, to_local(now, a.time_zone).date(), limit=50))

    def _opt_out(self, s: Session, client_id: str, now: datetime) -> None:
        delivery.opt_out(s, client_id, now)

    def _opt_in(self, s: Session, client_id: str, now: datetime) -> None:
        pref = preference_row(s, client_id)
        pref.allow_sms, pref.sms_opted_out_at = True, None
        pref.sms_consent_at, pref.sms_consent_source = now, "Texted START"

    @staticmethod
    def _answer(s: Session, ctxs: list[Context], kind: TemplateKind) -> str:
        if not ctxs:
            return ""
        found = Templates.load(s).find(ctxs[0].language, "sms", kind)
        return render(found[1], replace(ctxs[0].values, last_name="")) if found else ""

    @staticmethod
    def _help(s: Session) -> str:
        practice = practice_of(s)
        if not practice.phone:  # not set up yet: no "call  for help" with a hole in it
            return f"{practice.name} appointment reminders. Reply STOP to opt out."
        found = Templates.load(s).find("English", "sms", TemplateKind.HELP)
        values = Values(first_name="", day="", time="", provider="", location="", telehealth_link="",
                        practice_name=practice.name, practice_phone=practice.phone)
        return render(found[1], values) if found else f"{practice.name}: call {practice.phone}."

    # -- delivery reports ----------------------------------------------------------------------

    def delivery(self, report: DeliveryReport) -> bool:
        """Record a status callback; False when no message has this provider id yet (the report is
        then kept, and applied when the id is recorded: services/reminders/delivery.py)."""
        with self.ledger.write() as s:
            return delivery.record(s, report, self.now())
