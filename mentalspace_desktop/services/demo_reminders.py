"""Reminders in the demo practice, so its screens show real rows: the practice's rule (48 h and 2 h
before, by text and e-mail, quiet 21:00–08:00), SMS consent on file for most texting clients, two and
a half months of reminders sent and delivered (with what the provider charged), one that failed (a
landline), and replies read by the real reply handler: a STOP, a "yes" that confirms tomorrow's
appointment, a question for the front desk and a text from an unknown number.

The messages' words are built by the same code that sends them (``messages.build``), so the demo's
history reads exactly as a real practice's would.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import partial

from sqlalchemy import select

from mentalspace_desktop.domain.reminders.keys import reminder_key
from mentalspace_desktop.domain.reminders.outgoing import ChannelName, InboundReply
from mentalspace_desktop.domain.reminders.templates import TemplateKind, sms_segments
from mentalspace_desktop.domain.scheduling.times import to_utc
from mentalspace_desktop.services.demo_plan import PRACTICE_PHONE, TIME_ZONE
from mentalspace_desktop.services.reminders.desk import ReminderDeskService
from mentalspace_desktop.services.reminders.facts import Context, Templates, contexts, practice_of
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.reminders.messages import NoTemplate, build
from mentalspace_desktop.services.reminders.settings import ReminderSettingsService, RuleInput
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, ContactPreference

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
    assert len(upcoming) >= 3, "the demo schedule has too few coming appointments of texting clients"
    confirming, asking, stopping = upcoming[0], upcoming[1], upcoming[2]
    replies = (
        (confirming.mobile, "Yes", now - timedelta(hours=10)),
        (asking.mobile, "Can I come at 4 instead? My shift changed this week.", now - timedelta(hours=3)),
        (stopping.mobile, "STOP", now - timedelta(hours=20)),
        (_unknown_number(session), "Who is this? I didn't book anything.", now - timedelta(hours=6)),
    )
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


def _reminded(session: UserSession, now: datetime, texting: set[str]) -> list[Context]:
    """Reminders already due for the texting clients' appointments since the history began."""
    with session.store.write(session.actor.user_id) as s:
        appts = list(s.scalars(select(Appointment).where(
            Appointment.deleted.is_(False), Appointment.client_id.in_(sorted(texting)),
            Appointment.start_at >= now - timedelta(days=HISTORY_DAYS),
            Appointment.start_at < now + timedelta(minutes=OFFSETS[0]),
            Appointment.status.in_(("scheduled", "confirmed", "checked_in", "completed", "no_show")))
            .order_by(Appointment.start_at, Appointment.id)))
        ctxs = [c for c in contexts(s, appts, practice_of(s)) if c.mobile]
        templates = Templates.load(s)
        for n, ctx in enumerate(ctxs):
            for offset in OFFSETS:
                due = ctx.start_at - timedelta(minutes=offset)
                if due > now:
                    continue
                by_email = bool(ctx.email) and n % 5 == 0 and offset == OFFSETS[0]
                channels: tuple[ChannelName, ...] = ("sms", "email") if by_email else ("sms",)
                for channel in channels:
                    try:
                        built = build(ctx, channel, TemplateKind.REMINDER, templates, stamp=due)
                    except NoTemplate:
                        continue
                    parts = sms_segments(built.text) if channel == "sms" else 0
                    s.add(ReminderMessage(
                        key=reminder_key(ctx.chain_id, offset, channel), chain_id=ctx.chain_id,
                        appointment_id=ctx.appointment_id, client_id=ctx.client_id, provider_id=ctx.provider_id,
                        kind="reminder", offset_minutes=offset, channel=channel, to_address=ctx.address(channel),
                        subject=built.subject, body=built.text, appointment_start=ctx.start_at, state="delivered",
                        provider_message_id=f"{'SM' if channel == 'sms' else 'MSG'}demo{n:05d}{offset}",
                        attempts=1, cost_cents=parts * SMS_CENTS, created_at=due, due_at=due, sent_at=due,
                        delivered_at=due + timedelta(seconds=4), needs_attention=False))
    return ctxs


def _failure(session: UserSession, ctx: Context) -> None:
    """The 48-hour text to a number the carrier says is a landline: failed, for the front desk to call."""
    with session.store.write(session.actor.user_id) as s:
        row = s.scalar(select(ReminderMessage).where(
            ReminderMessage.key == reminder_key(ctx.chain_id, OFFSETS[0], "sms")))
        if row is not None:
            row.state, row.error_code = "failed", "21614"
            row.error_reason = "Not a mobile number (a landline cannot receive texts)"
            row.needs_attention, row.delivered_at, row.cost_cents = True, None, 0
