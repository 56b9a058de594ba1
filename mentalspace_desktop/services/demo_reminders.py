"""Reminders in the demo practice, so its screens show real rows: the practice's rule (48 h and 2 h
before, by text and e-mail, quiet 21:00–08:00), SMS consent on file for most texting clients, two and
a half months of reminders sent and delivered (with what the provider charged), one that failed (a
landline), and replies read by the real reply handler: a STOP, a "yes" that confirms tomorrow's
appointment, a question for the front desk and a text from an unknown number.

The history answers the way practices describe their clients: most answer reminders ("Yes", and now
and then "Cancel" to give the slot back), some answer now and then, some never do, and a few numbers
cannot take texts at all (landlines: every text fails, the client may not know about the visit).
Visits whose reminder went unanswered end as no-shows far more often than visits confirmed by reply.
The schedule's outcomes are drawn first (``demo_schedule``), so the answers are drawn given them: a
missed visit's reminder is answered a third as often as a kept one's, and undeliverable numbers are
given more often to clients who missed visits. ``benchmarks/bench_no_show_risk.py`` says how much of
this the no-show score recovers — a figure about this demo, not about a real practice.

The messages' words are built by the same code that sends them (``messages.build``), so the demo's
history reads exactly as a real practice's would.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.reminders.keys import reminder_key
from mentalspace_desktop.domain.reminders.outgoing import ChannelName, InboundReply
from mentalspace_desktop.domain.reminders.replies import Intent
from mentalspace_desktop.domain.reminders.templates import TemplateKind, sms_segments
from mentalspace_desktop.domain.scheduling.status import is_late_cancel
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.services.demo_plan import PRACTICE_PHONE, TIME_ZONE
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.facts import Context, Templates, contexts, practice_of
from mentalspace_desktop.services.reminders.inbound import BY_CLIENT, ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.reminders.messages import NoTemplate, build
from mentalspace_desktop.services.reminders.settings import ReminderSettingsService, RuleInput
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentStatusChange, ContactPreference

OFFSETS = (2880, 120)
HISTORY_DAYS = 75
SMS_CENTS = 1  # what the provider charges per text part (rounded up to a cent)


def add_demo_reminders(session: UserSession, today: date) -> None:
    """Write the demo's reminders as of 8:00 on ``today`` in the practice's zone."""
    now = to_utc(datetime.combine(today, time(8, 0)), TIME_ZONE)
    ReminderSettingsService(session, now=lambda: now).save_rule(
        RuleInput(OFFSETS, ("sms", "email"), quiet_start="21:00", quiet_end="08:00"))
    texting = _consent(session, now)
    ctxs = _reminded(session, now, texting)
    ledger = StoreLedger(session.store)
    upcoming = sorted((c for c in ctxs if c.start_at > now), key=lambda c: c.start_at)
    # A confirmation, a question and a STOP to the first coming visits reminded so far (on a Saturday
    # morning no visit is reminded yet: the weekend's inbox holds the stranger's message alone).
    answers = (("Yes", 10), ("Can I come at 4 instead? My shift changed this week.", 3), ("STOP", 20))
    replies = [(c.mobile, body, now - timedelta(hours=hours))
               for c, (body, hours) in zip(upcoming, answers, strict=False)]
    replies.append((_unknown_number(session), "Who is this? I didn't book anything.", now - timedelta(hours=6)))
    for i, (number, body, at) in enumerate(replies, start=1):
        ReplyHandler(ledger, now=partial(_at, at)).handle(InboundReply(
            "sms", number, PRACTICE_PHONE, body, f"SMdemoreply{i:04d}", at))
    if len(upcoming) > 3:
        _failure(session, upcoming[3])


def _unknown_number(session: UserSession) -> str:
    """A mobile number no client has (the demo's numbers are drawn at random)."""
    with session.store.read() as s:
        taken = set(s.scalars(select(Client.phone_mobile)))
    return next(n for n in (f"+1770555{i:04d}" for i in range(100, 10000)) if n not in taken)


def _at(moment: datetime) -> datetime:
    return moment


def _consent(session: UserSession, now: datetime) -> set[str]:
    """SMS consent recorded at intake for most clients who chose texts (a few never gave it)."""
    with session.store.read() as s:
        prefs = list(s.scalars(select(ContactPreference).where(
            ContactPreference.deleted.is_(False), ContactPreference.channel == "sms").order_by(ContactPreference.id)))
    desk = ReminderDeskService(session, now=lambda: now)
    chosen = [p.client_id for i, p in enumerate(prefs) if i % 6 != 5]
    for i, client_id in enumerate(chosen):
        desk.record_consent(client_id, "sms", granted=True, source="Intake form",
                            at=now - timedelta(days=HISTORY_DAYS + 30 + i))
    return set(chosen)


HABITS = {"answers": 0.85, "sometimes": 0.45, "never": 0.03}
"""How often a client of each habit answers a reminder of a visit they keep."""
HABIT_SHARES = (0.55, 0.28, 0.17)
MISSED_ANSWERS = 0.3  # a visit that ends as a no-show has its reminder answered this much as often
CANCEL_BY_REPLY = 0.6  # of the cancelled visits of clients who answer, those given back by a reply
LANDLINES = 2  # texting clients whose number cannot take texts
CONFIRM_WORDS = ("Yes", "Y", "yes", "YES", "1", "Yes!", "y")
CANCEL_WORDS = ("Cancel", "C", "cancel", "2")


def _reminded(session: UserSession, now: datetime, texting: set[str]) -> list[Context]:
    """Reminders already due for the texting clients' appointments since the history began, the
    replies they drew, and the texts that could not be delivered."""
    rng = random.Random(now.date().toordinal())
    with session.store.write(session.actor.user_id) as s:
        appts = list(s.scalars(select(Appointment).where(
            Appointment.deleted.is_(False), Appointment.client_id.in_(sorted(texting)),
            Appointment.start_at >= now - timedelta(days=HISTORY_DAYS),
            Appointment.start_at < now + timedelta(minutes=OFFSETS[0]),
            Appointment.status.in_(("scheduled", "confirmed", "checked_in", "completed", "no_show", "cancelled")))
            .order_by(Appointment.start_at, Appointment.id)))
        by_id = {a.id: a for a in appts}
        ctxs = [c for c in contexts(s, appts, practice_of(s)) if c.mobile]
        kept = [c for c in ctxs if c.status != "cancelled" or c.start_at <= now]
        upcoming = sorted((c for c in kept if c.start_at > now), key=lambda c: c.start_at)
        reserved = {c.client_id for c in upcoming[:4]}  # the hand-written replies below are theirs
        habits, landlines = _habits(rng, kept, by_id, reserved)
        templates = Templates.load(s)
        for n, ctx in enumerate(kept):
            a = by_id[ctx.appointment_id]
            habit = habits[ctx.client_id]
            cancelled = a.status == "cancelled"
            silent = ctx.client_id in landlines or (ctx.client_id in reserved and ctx.start_at > now)
            answer = _answer(rng, habit, a, silent)
            if cancelled and answer != "cancel":
                continue  # cancelled by a call before any reminder went
            if answer != "confirm" and a.confirmed_via == "sms":
                a.confirmed_via = "phone"  # confirmed, but not by answering a text: the desk called
            first_sms: ReminderMessage | None = None
            for offset in OFFSETS:
                due = ctx.start_at - timedelta(minutes=offset)
                if due > now or (cancelled and offset != OFFSETS[0]):
                    continue
                by_email = bool(ctx.email) and n % 5 == 0 and offset == OFFSETS[0] and ctx.client_id not in landlines
                channels: tuple[ChannelName, ...] = ("sms", "email") if by_email else ("sms",)
                for channel in channels:
                    try:
                        built = build(ctx, channel, TemplateKind.REMINDER, templates, stamp=due)
                    except NoTemplate:
                        continue
                    parts = sms_segments(built.text) if channel == "sms" else 0
                    row = ReminderMessage(
                        id=new_id(), key=reminder_key(ctx.chain_id, offset, channel), chain_id=ctx.chain_id,
                        appointment_id=ctx.appointment_id, client_id=ctx.client_id, provider_id=ctx.provider_id,
                        kind="reminder", offset_minutes=offset, channel=channel, to_address=ctx.address(channel),
                        subject=built.subject, body=built.text, appointment_start=ctx.start_at, state="delivered",
                        provider_message_id=f"{'SM' if channel == 'sms' else 'MSG'}demo{n:05d}{offset}",
                        attempts=1, cost_cents=parts * SMS_CENTS, created_at=due, due_at=due, sent_at=due,
                        delivered_at=due + timedelta(seconds=4), needs_attention=False)
                    if channel == "sms" and ctx.client_id in landlines:
                        _landline(row, handled_by=None if ctx.start_at > now else session.actor.user_id,
                                  at=due + timedelta(hours=1))
                    s.add(row)
                    if channel == "sms" and first_sms is None:
                        first_sms = row
            if answer and first_sms is not None and first_sms.sent_at is not None:
                _reply(s, rng, a, first_sms, answer, now, f"SMdemoans{n:05d}")
    return kept


def _habits(rng: random.Random, ctxs: list[Context], by_id: dict[str, Appointment], reserved: set[str]
            ) -> tuple[dict[str, str], set[str]]:
    """Each texting client's habit with reminders, and the few whose number is a landline (drawn more
    often among clients who missed visits: a reminder that never arrives goes with missed visits)."""
    clients = sorted({c.client_id for c in ctxs})
    habits = {cid: rng.choices(list(HABITS), HABIT_SHARES)[0] for cid in clients}
    missed: dict[str, int] = {cid: 0 for cid in clients}
    for c in ctxs:
        missed[c.client_id] += by_id[c.appointment_id].status == "no_show"
    pool = [cid for cid in clients if cid not in reserved]
    landlines: set[str] = set()
    while pool and len(landlines) < LANDLINES:
        pick = rng.choices(pool, [1 + 2 * missed[cid] for cid in pool])[0]
        landlines.add(pick)
        pool.remove(pick)
    return habits, landlines


def _answer(rng: random.Random, habit: str, a: Appointment, silent: bool) -> str:
    """"confirm", "cancel" or "" (no answer) to this visit's reminder, given how it ended."""
    if silent:
        return ""
    rate = HABITS[habit]
    if a.status == "cancelled":
        return "cancel" if rng.random() < rate * CANCEL_BY_REPLY / HABITS["answers"] else ""
    if a.status == "no_show":
        rate *= MISSED_ANSWERS
    return "confirm" if rng.random() < rate else ""


def _landline(row: ReminderMessage, *, handled_by: str | None, at: datetime) -> None:
    """The carrier refused the text: the number is a landline. Past ones were seen at the desk."""
    row.state, row.error_code = "failed", "21614"
    row.error_reason = "Not a mobile number (a landline cannot receive texts)"
    row.delivered_at, row.cost_cents = None, 0
    row.needs_attention = handled_by is None
    row.handled_by, row.handled_at = handled_by, at if handled_by else None


def _reply(s: Session, rng: random.Random, a: Appointment, reminder: ReminderMessage, answer: str, now: datetime,
           sid: str) -> None:
    """The client's answer to the visit's first text, and what it did to the visit (as the reply
    handler would have done it then)."""
    assert reminder.sent_at is not None
    at = min(reminder.sent_at + timedelta(minutes=rng.randint(3, 360)), a.start_at - timedelta(hours=3),
             now - timedelta(minutes=5))
    if at <= reminder.sent_at:
        return
    confirm = answer == "confirm"
    s.add(InboundMessage(
        provider_message_id=sid, channel="sms", from_number=reminder.to_address[:20],
        body=rng.choice(CONFIRM_WORDS if confirm else CANCEL_WORDS), received_at=at, client_id=a.client_id,
        appointment_id=a.id, provider_id=a.provider_id, reminder_message_id=reminder.id,
        intent=Intent.CONFIRM.value if confirm else Intent.CANCEL.value,
        action="confirmed" if confirm else "cancelled", needs_attention=False))
    if confirm:
        a.confirmation, a.confirmed_at, a.confirmed_via = "confirmed", at, "sms"
        if a.status == "scheduled":
            a.status, a.status_at, a.status_by = "confirmed", at, None
            s.add(AppointmentStatusChange(appointment_id=a.id, client_id=a.client_id, status="confirmed", at=at,
                                          by=BY_CLIENT, reason="Confirmed by the client (sms)"))
    else:
        a.late_cancel, a.cancel_reason = is_late_cancel(a.start_at, at), "Cancelled by the client's reply"
        a.status_at, a.status_by = at, None


def _failure(session: UserSession, ctx: Context) -> None:
    """The 48-hour text to a number the carrier says is a landline: failed, for the front desk to call."""
    with session.store.write(session.actor.user_id) as s:
        row = s.scalar(select(ReminderMessage).where(
            ReminderMessage.key == reminder_key(ctx.chain_id, OFFSETS[0], "sms")))
        if row is not None:
            row.state, row.error_code = "failed", "21614"
            row.error_reason = "Not a mobile number (a landline cannot receive texts)"
            row.needs_attention, row.delivered_at, row.cost_cents = True, None, 0
