"""The reminder engine: what is due, and sending it exactly once.

Plain functions over a :class:`~mentalspace_desktop.services.reminders.ledger.Ledger`, so the hub's job
and a solo workstation run the same code (solo mode: :func:`run_solo`).

Exactly once: a message's row, with its idempotency key UNIQUE, is committed *before* its channel is
called. A second process (or a retry, or a restart) trying the same reminder fails to insert the row
and sends nothing. A row whose sending was interrupted (the process died while the provider was being
called) may or may not have gone: it becomes ``uncertain`` and is shown to the front desk, never sent
again by itself. Transient failures are retried with backoff by whoever claims the row (a row lock
decides); permanent ones are recorded and shown.

Catching up: a reminder is sent only while it is still useful: the appointment is at least
``still_useful`` away, and an overdue reminder (the sender was not running when it fell due) goes only
when no later reminder of the same channel is to come (after a weekend with the app closed, a client
gets the 2-hour reminder, not the 2-day one as well).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.reminders.keys import cancel_key, update_key
from mentalspace_desktop.domain.reminders.outgoing import Accepted, Channel, ChannelName, Outgoing, SendFailed
from mentalspace_desktop.domain.reminders.rules import CHANNEL_LABELS, Planned, plan, rule_for
from mentalspace_desktop.domain.reminders.templates import TemplateKind
from mentalspace_desktop.domain.reminders.timing import Due, Skipped
from mentalspace_desktop.domain.scheduling.times import to_local
from mentalspace_desktop.services.reminders import delivery
from mentalspace_desktop.services.reminders.delivery import CODE_REASONS
from mentalspace_desktop.services.reminders.facts import (
    Context,
    Templates,
    contexts,
    latest_in_chain,
    practice_of,
    preference_row,
    rules_of,
)
from mentalspace_desktop.services.reminders.group_members import attending, is_group_session
from mentalspace_desktop.services.reminders.ledger import Ledger
from mentalspace_desktop.services.reminders.messages import NoTemplate, build, outgoing
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.store.types import utcnow

log = logging.getLogger("mentalspace.reminders")

REMINDED = ("scheduled", "confirmed")  # appointment statuses that get reminders
TOOK = ("queued", "sent", "delivered", "answered", "no_answer")  # the provider took the message


@dataclass(frozen=True)
class EngineConfig:
    status_callback: str = ""
    """Where the provider reports delivery; empty: the channel's own (its settings' webhook address)."""
    organizer_email: str = ""
    """The practice's sending address, the ORGANIZER of e-mail invitations."""
    max_attempts: int = 6
    horizon: timedelta = timedelta(days=15)
    """The furthest ahead an appointment is looked at (beyond the rules' longest offset, never)."""
    claim: timedelta = timedelta(minutes=5)
    still_useful: timedelta = timedelta(minutes=30)
    on_time: timedelta = timedelta(minutes=15)
    """A reminder due longer ago than this is overdue (the sender was not running): it goes only if no
    later reminder of its channel is to come."""


@dataclass(frozen=True)
class DueReminder:
    """One reminder that is due (or will be within the window asked about). No PHI beyond the first
    name and the time: this is what ``mentalspace-hub reminders due`` prints."""

    key: str
    appointment_id: str
    first_name: str
    channel: str
    offset_minutes: int
    due_at: datetime
    start_at: datetime
    start_local: datetime
    moved_by_quiet_hours: bool
    blocked: tuple[str, ...] = ()
    """Why it cannot go (no consent, no number, channel not set up); empty when it will be sent."""


@dataclass
class RunSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    withdrawn: int = 0
    uncertain: int = 0
    updates: int = 0
    lost_races: int = 0
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = [f"{n} {label}" for n, label in ((self.sent, "sent"), (self.updates, "invitation updates"),
                                                 (self.retrying, "to retry"), (self.failed, "failed"),
                                                 (self.skipped, "skipped"), (self.withdrawn, "withdrawn"),
                                                 (self.uncertain, "interrupted")) if n]
        return ", ".join(parts) or "nothing due"


@dataclass(frozen=True)
class _Send:
    """A reminder to send now (a new row to insert)."""

    ctx: Context
    planned: Planned
    due_at: datetime


CHUNK = 25
"""Reminders claimed (and their answers recorded) per transaction."""


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after each failed attempt, at most an hour."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


class ReminderEngine:
    """Plans and sends reminders through ``channels`` (by channel name); writes through ``ledger``."""

    def __init__(self, ledger: Ledger, channels: Mapping[str, Channel], *, config: EngineConfig | None = None,
                 now: Callable[[], datetime] = utcnow) -> None:
        self.ledger = ledger
        self.channels = dict(channels)
        self.config = config or EngineConfig()
        self.now = now

    # -- planning ------------------------------------------------------------------------------

    def _contexts(self, s: Session, now: datetime, until: datetime) -> list[Context]:
        rows = list(s.scalars(select(Appointment).where(
            Appointment.deleted.is_(False), Appointment.status.in_(REMINDED),
            or_(Appointment.client_id.is_not(None), Appointment.group_id.is_not(None)),
            Appointment.start_at > now, Appointment.start_at <= until)))
        return contexts(s, rows, practice_of(s))

    def _existing_keys(self, s: Session, chain_ids: list[str]) -> set[str]:
        keys: set[str] = set()
        for start in range(0, len(chain_ids), 500):
            keys.update(s.scalars(select(ReminderMessage.key).where(
                ReminderMessage.chain_id.in_(chain_ids[start:start + 500]))))
        return keys

    def _plan(self, s: Session, now: datetime, within: timedelta
              ) -> tuple[list[_Send], list[tuple[Context, Planned, str]], list[DueReminder]]:
        """(to send now, to record as skipped, everything due within ``within`` for listing)."""
        rules = rules_of(s)
        if not rules:
            return [], [], []
        # Only appointments whose longest reminder may be due by now + within (a day beyond, for whole-day
        # offsets across a clock change): each run reads what it needs, not the whole calendar.
        longest = timedelta(minutes=max(m for r in rules for m in r.offsets_minutes)) + timedelta(days=1)
        ctxs = self._contexts(s, now, now + min(within + longest, self.config.horizon + within))
        templates = Templates.load(s)
        existing = self._existing_keys(s, sorted({c.chain_id for c in ctxs}))
        send: list[_Send] = []
        skip: list[tuple[Context, Planned, str]] = []
        listed: list[DueReminder] = []
        for ctx in ctxs:
            rule = rule_for(rules, ctx.type_id)
            if rule is None:
                continue
            every = plan(rule, chain_id=ctx.chain_id, start_at=ctx.start_at, client_zone=ctx.client_zone,
                         consents=ctx.consents, contacts=ctx.contacts(), member=ctx.member)
            smallest: dict[str, int] = {}  # channel -> smallest offset that is (or was) sent by it
            for p in every:
                if isinstance(p.when, Due) and (p.sendable or p.key in existing):
                    smallest[p.channel] = min(smallest.get(p.channel, p.offset_minutes), p.offset_minutes)
            for p in every:
                if p.key in existing:
                    continue
                if isinstance(p.when, Skipped):
                    if ctx.start_at - timedelta(minutes=p.offset_minutes) <= now:
                        skip.append((ctx, p, p.when.reason))
                    continue
                blocked = list(p.reasons)
                if p.channel not in self.channels:
                    blocked.append(f"{CHANNEL_LABELS[p.channel]}s are not set up")
                if p.when.at > now + within:
                    continue
                if not blocked:
                    blocked += self._unbuildable(ctx, p.channel, templates)
                if p.when.at <= now:
                    if ctx.start_at - now < self.config.still_useful:
                        if not blocked:
                            skip.append((ctx, p, "Too close to the appointment to be useful"))
                        continue
                    if p.when.at < now - self.config.on_time and p.offset_minutes != smallest.get(p.channel):
                        if not blocked:
                            skip.append((ctx, p, "Overdue, and a later reminder goes instead"))
                        continue
                listed.append(DueReminder(p.key, ctx.appointment_id, ctx.values.first_name, p.channel,
                                          p.offset_minutes, p.when.at, ctx.start_at,
                                          to_local(ctx.start_at, ctx.client_zone), p.when.moved, tuple(blocked)))
                if p.when.at <= now and not blocked:
                    send.append(_Send(ctx, p, p.when.at))
        listed.sort(key=lambda d: (d.due_at, d.key))
        return send, skip, listed

    def _unbuildable(self, ctx: Context, channel: ChannelName, templates: Templates) -> list[str]:
        """Why the message cannot be made (no template, the practice's phone or sending address missing)."""
        try:
            build(ctx, channel, TemplateKind.REMINDER, templates, organizer_email=self.config.organizer_email,
                  with_calendar=False)
        except NoTemplate as exc:
            return [str(exc)]
        if channel == "email" and not self.config.organizer_email:
            return ["E-mail has no sending address: enter it in the messaging settings."]
        return []

    def due(self, within: timedelta = timedelta(0)) -> list[DueReminder]:
        """The reminders due now, or within ``within``; each says why it is blocked, if it is."""
        now = self.now()
        with self.ledger.read() as s:
            return self._plan(s, now, within)[2]

    # -- sending -------------------------------------------------------------------------------

    def run_once(self) -> RunSummary:
        """Send what is due now: interrupted sends marked, retries, invitation updates, new reminders."""
        summary = RunSummary()
        now = self.now()
        with self.ledger.write() as s:  # reports that crossed the recording of their message's id
            delivery.sweep_early(s, now)
        self._mark_interrupted(now, summary)
        self._retry(now, summary)
        self._invitation_changes(now, summary)
        with self.ledger.read() as s:
            send, skip, _ = self._plan(s, now, timedelta(0))
        self._record_skips(skip, summary)
        templates = self._templates()
        for start in range(0, len(send), CHUNK):
            self._send_chunk(send[start:start + CHUNK], templates, summary)
        return summary

    def _templates(self) -> Templates:
        with self.ledger.read() as s:
            return Templates.load(s)

    def _record_skips(self, skip: list[tuple[Context, Planned, str]], summary: RunSummary) -> None:
        now = self.now()
        rows = [ReminderMessage(key=p.key, chain_id=ctx.chain_id, appointment_id=ctx.appointment_id,
                                client_id=ctx.client_id, provider_id=ctx.provider_id,
                                kind=TemplateKind.REMINDER.value, offset_minutes=p.offset_minutes, channel=p.channel,
                                to_address="", subject="", body="", appointment_start=ctx.start_at, state="skipped",
                                error_reason=reason[:300], attempts=0, created_at=now, due_at=None)
                for ctx, p, reason in skip]
        for start in range(0, len(rows), CHUNK * 4):
            summary.skipped += len(self._insert_many(rows[start:start + CHUNK * 4]))

    def _insert_many(self, rows: list[ReminderMessage]) -> list[ReminderMessage]:
        """Commit the rows whose keys are not taken yet, and return them; a key already there (another
        process, an earlier run) leaves its row out. Each row goes in its own savepoint, in key order,
        so two processes inserting the same keys queue one behind the other instead of deadlocking."""
        kept: list[ReminderMessage] = []
        if not rows:
            return kept
        with self.ledger.write() as s:
            for row in sorted(rows, key=lambda r: r.key):
                try:
                    with s.begin_nested():
                        s.add(row)
                        s.flush()
                except IntegrityError:
                    continue
                kept.append(row)
        return kept

    def _send_chunk(self, items: list[_Send], templates: Templates, summary: RunSummary) -> None:
        """Claim a few reminders at once (their rows committed as ``sending``), then hand each to its
        channel and record the answers together. A process dying in between leaves at most this many
        rows ``uncertain`` (shown to the front desk), never one sent twice."""
        now = self.now()
        rows: list[ReminderMessage] = []
        messages: dict[str, Outgoing] = {}
        for item in items:
            ctx, p = item.ctx, item.planned
            sequence = self._sequence(ctx.chain_id) if p.channel == "email" else None
            try:
                built = build(ctx, p.channel, TemplateKind.REMINDER, templates, sequence=sequence,
                              organizer_email=self.config.organizer_email, stamp=now)
            except NoTemplate as exc:
                summary.errors.append(str(exc))
                continue
            rows.append(ReminderMessage(
                key=p.key, chain_id=ctx.chain_id, appointment_id=ctx.appointment_id, client_id=ctx.client_id,
                provider_id=ctx.provider_id, kind=TemplateKind.REMINDER.value, offset_minutes=p.offset_minutes,
                channel=p.channel, to_address=ctx.address(p.channel), subject=built.subject, body=built.text,
                appointment_start=ctx.start_at, ics_sequence=sequence, state="sending", attempts=1,
                claimed_until=now + self.config.claim, created_at=now, due_at=item.due_at))
            messages[p.key] = outgoing(p.key, p.channel, ctx.address(p.channel), built, self.config.status_callback)
        kept = self._insert_many(rows)
        summary.lost_races += len(rows) - len(kept)
        self._record_results([(row.id, self._hand_over(messages[row.key])) for row in kept], summary)

    def _hand_over(self, message: Outgoing) -> Accepted | SendFailed:
        """The channel's answer: accepted, or why not (a channel's bug counts as a transient failure,
        so it never stops the other reminders)."""
        try:
            return self.channels[message.channel].send(message)
        except SendFailed as failure:
            return failure
        except Exception as exc:
            log.exception("channel %s raised", message.channel)
            return SendFailed(type(exc).__name__, permanent=False)

    def _deliver(self, row_id: str, message: Outgoing, summary: RunSummary) -> None:
        """Hand ``message`` to its channel (the row is already committed as ``sending``) and record the
        answer."""
        self._record_results([(row_id, self._hand_over(message))], summary)

    def _record_failure(self, row_id: str, failure: SendFailed, summary: RunSummary) -> None:
        self._record_results([(row_id, failure)], summary)

    def _record_results(self, results: list[tuple[str, Accepted | SendFailed]], summary: RunSummary) -> None:
        if not results:
            return
        now = self.now()
        accepted: list[ReminderMessage] = []
        with self.ledger.write() as s:
            for row_id, result in results:
                row = s.get(ReminderMessage, row_id)
                assert row is not None
                if isinstance(result, SendFailed):
                    self._apply_failure(s, row, result, now, summary)
                    continue
                row.state, row.provider_message_id = result.state, result.provider_id
                row.cost_cents, row.sent_at, row.claimed_until = result.cost_cents, now, None
                row.next_attempt_at, row.error_code, row.error_reason = None, None, None
                accepted.append(row)
                summary.sent += 1
            # the provider may have reported on some before its answer reached us: kept, applied now
            delivery.apply_early(s, accepted, now)

    def _apply_failure(self, s: Session, row: ReminderMessage, failure: SendFailed, now: datetime,
                       summary: RunSummary) -> None:
        row.error_code = failure.code
        reason = CODE_REASONS.get(failure.code or "", "") or failure.reason
        row.claimed_until = None
        too_close = row.appointment_start is not None and \
            now + backoff(row.attempts) > row.appointment_start - self.config.still_useful
        if failure.permanent or row.attempts >= self.config.max_attempts or too_close:
            row.state, row.needs_attention, row.next_attempt_at = "failed", True, None
            if not failure.permanent:
                reason = f"Gave up after {row.attempts} attempt(s): {reason}"
            row.error_reason = reason[:300]
            summary.failed += 1
            if failure.code == "21610" and row.client_id:
                self._record_carrier_opt_out(s, row.client_id, now)
        else:
            row.state, row.next_attempt_at = "retry", now + backoff(row.attempts)
            row.error_reason = reason[:300]
            summary.retrying += 1

    @staticmethod
    def _record_carrier_opt_out(s: Session, client_id: str, now: datetime) -> None:
        pref = preference_row(s, client_id)
        if not pref.sms_opted_out_at:
            pref.sms_opted_out_at, pref.allow_sms = now, False

    def _mark_interrupted(self, now: datetime, summary: RunSummary) -> None:
        with self.ledger.read() as s:
            ids = list(s.scalars(select(ReminderMessage.id).where(
                ReminderMessage.state == "sending", ReminderMessage.claimed_until < now)))
        for row_id in ids:
            with self.ledger.write() as s:
                row = s.scalars(select(ReminderMessage).where(ReminderMessage.id == row_id).with_for_update()
                                .execution_options(populate_existing=True)).one()
                if row.state != "sending" or row.claimed_until is None or row.claimed_until >= now:
                    continue
                row.state, row.needs_attention, row.claimed_until = "uncertain", True, None
                row.error_reason = ("Sending was interrupted: the message may or may not have reached the client. "
                                    "It is not sent again by itself.")
                summary.uncertain += 1

    def _claim(self, row_id: str, now: datetime) -> ReminderMessage | None:
        """Take a row due for retry; None if another process took it or it no longer needs sending."""
        with self.ledger.write() as s:
            row = s.scalars(select(ReminderMessage).where(ReminderMessage.id == row_id).with_for_update()
                            .execution_options(populate_existing=True)).one()
            if row.state != "retry" or row.next_attempt_at is None or row.next_attempt_at > now:
                return None
            current = latest_in_chain(s, row.appointment_id)
            if current is None or current.deleted or current.status not in REMINDED or current.start_at <= now:
                row.state, row.next_attempt_at = "withdrawn", None
                row.error_reason = "The appointment was cancelled or has passed; not retried"
                return row
            row.state, row.attempts = "sending", row.attempts + 1
            row.claimed_until, row.appointment_id = now + self.config.claim, current.id
            return row

    def _retry(self, now: datetime, summary: RunSummary) -> None:
        with self.ledger.read() as s:
            ids = list(s.scalars(select(ReminderMessage.id).where(
                ReminderMessage.state == "retry", ReminderMessage.next_attempt_at <= now)))
        templates = self._templates()
        for row_id in ids:
            row = self._claim(row_id, now)
            if row is None:
                continue
            if row.state == "withdrawn":
                summary.withdrawn += 1
                continue
            channel: ChannelName = row.channel  # type: ignore[assignment]
            with self.ledger.read() as s:
                a = s.get(Appointment, row.appointment_id)
                group = a is not None and is_group_session(a)
                ctxs = [c for c in contexts(s, [a], practice_of(s)) if c.client_id == row.client_id] \
                    if a is not None else []
            if group and not ctxs:  # the member cancelled their place or left the group since
                self._withdraw(row_id, "The member no longer attends this group session; not retried")
                summary.withdrawn += 1
                continue
            if not ctxs or channel not in self.channels:
                self._record_failure(row_id, SendFailed("The reminder can no longer be built", permanent=True),
                                     summary)
                continue
            ctx = ctxs[0]
            try:  # built again: the appointment may have moved since the first attempt
                built = build(ctx, channel, TemplateKind(row.kind), templates, sequence=row.ics_sequence,
                              organizer_email=self.config.organizer_email, stamp=now)
            except NoTemplate as exc:
                self._record_failure(row_id, SendFailed(str(exc), permanent=True), summary)
                continue
            with self.ledger.write() as s:
                fresh = s.get(ReminderMessage, row_id)
                assert fresh is not None
                fresh.body, fresh.subject, fresh.appointment_start = built.text, built.subject, ctx.start_at
            self._deliver(row_id, outgoing(row.key, channel, ctx.address(channel), built,
                                           self.config.status_callback), summary)

    def _withdraw(self, row_id: str, reason: str) -> None:
        with self.ledger.write() as s:
            row = s.get(ReminderMessage, row_id)
            assert row is not None
            row.state, row.next_attempt_at, row.claimed_until, row.error_reason = "withdrawn", None, None, reason

    # -- e-mail invitations: updates and withdrawals -------------------------------------------

    def _sequence(self, chain_id: str) -> int:
        with self.ledger.read() as s:
            values = [v for v in s.scalars(select(ReminderMessage.ics_sequence).where(
                ReminderMessage.chain_id == chain_id, ReminderMessage.ics_sequence.is_not(None)))]
        return max((v for v in values if v is not None), default=0)

    def _invitation_changes(self, now: datetime, summary: RunSummary) -> None:
        """An appointment whose invitation went and that has since moved gets an update (SEQUENCE + 1);
        one cancelled gets METHOD:CANCEL."""
        if "email" not in self.channels:
            return
        with self.ledger.read() as s:
            rows = list(s.scalars(select(ReminderMessage).where(
                ReminderMessage.channel == "email", ReminderMessage.ics_sequence.is_not(None),
                ReminderMessage.appointment_start > now - timedelta(days=1))))
            # one invitation per appointment chain, and per member of a group session
            chains: dict[tuple[str, str | None], list[ReminderMessage]] = defaultdict(list)
            for r in rows:
                chains[(r.chain_id, r.client_id)].append(r)
            work: list[tuple[Context, TemplateKind, int, str]] = []
            for (chain_id, client_id), msgs in chains.items():
                if not any(m.state in TOOK for m in msgs):
                    continue
                live = [m for m in msgs if m.state not in ("skipped", "failed", "uncertain", "withdrawn")]
                if not live:
                    continue
                last = max(live, key=lambda m: (m.ics_sequence or 0, m.created_at))
                if last.kind == TemplateKind.CANCELLED.value:
                    continue
                top = max(m.ics_sequence or 0 for m in msgs)
                current = latest_in_chain(s, last.appointment_id)
                if current is None or current.start_at <= now:
                    continue
                group = is_group_session(current)
                member = client_id if group else None
                ctxs = [c for c in contexts(s, [current], practice_of(s), member=member) if c.client_id == client_id]
                if not ctxs or not ctxs[0].consents.email or not ctxs[0].email:
                    continue
                # a member who cancelled their place (or left the group) has their invitation withdrawn
                gone = group and client_id not in attending(s, [current]).get(current.id, [])
                if current.deleted or current.status == "cancelled" or gone:
                    work.append((ctxs[0], TemplateKind.CANCELLED, top + 1, cancel_key(chain_id, member)))
                elif current.status in REMINDED and current.start_at != last.appointment_start:
                    work.append((ctxs[0], TemplateKind.UPDATED, top + 1, update_key(chain_id, top + 1, member)))
        templates = self._templates()
        for ctx, kind, sequence, key in work:
            try:
                built = build(ctx, "email", kind, templates, sequence=sequence,
                              organizer_email=self.config.organizer_email, stamp=now)
            except NoTemplate as exc:
                summary.errors.append(str(exc))
                continue
            row = ReminderMessage(key=key, chain_id=ctx.chain_id, appointment_id=ctx.appointment_id,
                                  client_id=ctx.client_id, provider_id=ctx.provider_id, kind=kind.value,
                                  offset_minutes=None, channel="email", to_address=ctx.email, subject=built.subject,
                                  body=built.text, appointment_start=ctx.start_at, ics_sequence=sequence,
                                  state="sending", attempts=1, claimed_until=now + self.config.claim, created_at=now,
                                  due_at=now)
            if not self._insert_many([row]):
                summary.lost_races += 1
                continue
            before = summary.sent
            self._deliver(row.id, outgoing(key, "email", ctx.email, built, ""), summary)
            if summary.sent > before:
                summary.sent -= 1
                summary.updates += 1
