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
from mentalspace_desktop.services.reminders.engine import CODE_REASONS, TOOK
from mentalspace_desktop.services.reminders.facts import (
    Context,
    Templates,
    contexts,
    latest_in_chain,
    practice_of,
    preference_row,
)
from mentalspace_desktop.services.reminders.ledger import Ledger
from mentalspace_desktop.services.scheduling.waitlist import _waiting
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import (
    Appointment,
    AppointmentStatusChange,
    BusyBlock,
    WaitlistEntry,
)
from mentalspace_desktop.store.types import utcnow

BY_CLIENT = "client"
"""``appointment_status_history.by`` for a change the client made by replying (no member of staff)."""

_RANK = {"queued": 1, "sent": 2, "delivered": 3, "undelivered": 3, "failed": 3, "answered": 3, "no_answer": 3}


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
            if not everyone:
                return inbox("Opted out from a number that belongs to no client", "opted_out")
            return ReplyOutcome(True, intent, "opted_out")
        if intent is Intent.OPT_IN:
            if not everyone:
                return inbox("Asked to receive texts from a number that belongs to no client")
            for cid in everyone:
                self._opt_in(s, cid, now)
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
        ctxs = contexts(s, [a], practice_of(s))
        if intent is Intent.CONFIRM:
            return self._confirm(s, a, ctxs, reply, now, inbox)
        outcome = self._cancel(s, a, ctxs, now, inbox)
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
        self._status(s, a, Status.CONFIRMED, now, reason=f"Confirmed by the client ({reply.channel})")
        a.confirmation, a.confirmed_at, a.confirmed_via = "confirmed", now, reply.channel
        return ReplyOutcome(True, Intent.CONFIRM, "confirmed", self._answer(s, ctxs, TemplateKind.REPLY_CONFIRMED))

    def _cancel(self, s: Session, a: Appointment, ctxs: list[Context], now: datetime,
                inbox: Callable[..., ReplyOutcome]) -> ReplyOutcome:
        if a.status == Status.CANCELLED.value:
            return ReplyOutcome(True, Intent.CANCEL, "cancelled", self._answer(s, ctxs, TemplateKind.REPLY_CANCELLED))
        try:
            check_transition(Status(a.status), Status.CANCELLED)
        except StatusError:
            return inbox(f"Asked to cancel an appointment that is {Status(a.status).label.lower()}",
                         problem="too_late")
        a.late_cancel = is_late_cancel(a.start_at, now)
        a.cancel_reason = "Cancelled by the client's reply"
        self._status(s, a, Status.CANCELLED, now, reason=a.cancel_reason)
        block = s.get(BusyBlock, a.id)
        if block is not None:
            block.active = False
        answer = self._answer(s, ctxs, TemplateKind.REPLY_CANCELLED)
        waiting = self._waitlist_fits(s, a, now)
        if waiting:
            return inbox(f"Cancelled by the client; the time is free and {waiting} waiting client(s) fit it: "
                         "offer it from the waitlist", "cancelled", answer)
        return ReplyOutcome(True, Intent.CANCEL, "cancelled", answer)

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
        pref = preference_row(s, client_id)
        pref.allow_sms, pref.sms_opted_out_at = False, now

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
        """Record a status callback; False when no message has this provider id."""
        with self.ledger.write() as s:
            row = s.scalars(select(ReminderMessage).where(
                ReminderMessage.provider_message_id == report.provider_id).with_for_update()
                .execution_options(populate_existing=True)).first()
            if row is None:
                return False
            if row.state in _RANK and _RANK[report.state] < _RANK[row.state]:
                return True  # callbacks may arrive out of order: "sent" after "delivered" changes nothing
            if row.state == report.state and row.error_code == report.error_code:
                return True
            row.state, row.error_code = report.state, report.error_code
            if report.state == "delivered":
                row.delivered_at = report.reported_at
            if report.state in ("undelivered", "failed"):
                row.needs_attention = True
                row.error_reason = CODE_REASONS.get(report.error_code or "", "The provider could not deliver it")
                if report.error_code == "21610" and row.client_id:
                    self._opt_out(s, row.client_id, self.now())
            return True
