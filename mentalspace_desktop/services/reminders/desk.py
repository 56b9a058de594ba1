"""Reminders at the front desk: the preview of an appointment's messages, its reminder history, the
Messages inbox (replies that need a person and failures), client consent, and the figures.

Permissions: preview and history need read access to the appointment's schedule (the front desk,
administrators, supervisors, billing, and the client's own clinician); the inbox lists what the user
may read of the schedule and marking handled needs write access; consent is demographics (front desk,
administrators, the client's clinician); monthly counts and outcomes are dashboard figures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.reminders.outgoing import ChannelName
from mentalspace_desktop.domain.reminders.rules import CHANNEL_LABELS, plan, rule_for
from mentalspace_desktop.domain.reminders.templates import TemplateKind
from mentalspace_desktop.domain.reminders.timing import Due
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.domain.scheduling.times import TimeError, day_bounds_utc, zone
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import MessagesDidChange
from mentalspace_desktop.services.permissions import require_any, require_client
from mentalspace_desktop.services.reminders import stats
from mentalspace_desktop.services.reminders.facts import (
    Templates,
    chain_roots,
    contexts,
    practice_of,
    preference_row,
    rules_of,
)
from mentalspace_desktop.services.reminders.messages import NoTemplate, build
from mentalspace_desktop.services.scheduling.common import SchedulingBase
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, ContactPreference
from mentalspace_desktop.store.types import utcnow

CONSENT_CHANNELS = ("sms", "email", "voice")


@dataclass(frozen=True)
class PreviewItem:
    """One message an appointment will get, exactly as it would be sent, or why it will not go."""

    channel: str
    offset_minutes: int
    due_at: datetime | None
    moved_by_quiet_hours: bool
    subject: str
    text: str
    blocked: tuple[str, ...]
    """Why it will not be sent (no consent, no number, quiet hours too late); empty when it will."""
    already: str = ""
    """The state of the message when it already exists (sent, failed …)."""


@dataclass(frozen=True)
class HistoryItem:
    """A message sent (or tried) or a reply received, for the appointment detail and the chart."""

    at: datetime
    direction: str  # "out" or "in"
    channel: str
    kind: str  # reminder, updated, cancelled; or the reply's intent
    state: str  # the message's state; a reply's action
    text: str
    error: str
    appointment_id: str | None
    needs_attention: bool


@dataclass(frozen=True)
class InboxItem:
    id: str
    kind: str  # "reply" or "failure"
    at: datetime
    client_id: str | None
    client_name: str  # "" for an unknown number
    from_or_to: str
    channel: str
    text: str
    reason: str
    appointment_id: str | None
    handled_at: datetime | None


@dataclass(frozen=True)
class ConsentView:
    client_id: str
    sms: bool
    sms_at: datetime | None
    sms_source: str
    sms_opted_out_at: datetime | None
    email: bool
    email_at: datetime | None
    email_source: str
    voice: bool
    voice_at: datetime | None
    voice_source: str
    preferred_channel: str
    language: str
    time_zone: str


class ReminderDeskService(SchedulingBase):
    def __init__(self, session: UserSession, *, now: Callable[[], datetime] = utcnow) -> None:
        super().__init__(session, now=now)

    # -- preview -------------------------------------------------------------------------------

    def preview(self, appointment_id: str) -> list[PreviewItem]:
        """Every reminder the rules give this appointment, each with its exact text and due time."""
        with self.session.store.read() as s:
            a = self._appointment(s, appointment_id, Action.READ)
            return preview_appointment(s, a, self.now())

    def _appointment(self, s: Session, appointment_id: str, action: Action) -> Appointment:
        a = s.get(Appointment, appointment_id)
        if a is None or a.deleted:
            raise NotFound("That appointment no longer exists.")
        self.require(s, action, a.client_id, a.provider_id)
        return a

    # -- history -------------------------------------------------------------------------------

    def history(self, appointment_id: str) -> list[HistoryItem]:
        """Messages about this appointment (and the ones it was rescheduled from) and the replies."""
        with self.session.store.read() as s:
            a = self._appointment(s, appointment_id, Action.READ)
            chain = chain_roots(s, [a.id])[a.id]
            out = list(s.scalars(select(ReminderMessage).where(ReminderMessage.chain_id == chain)))
            ids = {m.appointment_id for m in out} | {a.id}
            replies = list(s.scalars(select(InboundMessage).where(InboundMessage.appointment_id.in_(sorted(ids)))))
            return _history(out, replies)

    def client_history(self, client_id: str) -> list[HistoryItem]:
        """Every reminder and reply of a client, newest first (the chart's timeline)."""
        with self.session.store.read() as s:
            self.require(s, Action.READ, client_id, None)
            return history_of_client(s, client_id)

    # -- inbox ---------------------------------------------------------------------------------

    def inbox(self, *, include_handled: bool = False) -> list[InboxItem]:
        """Replies that need a person and messages that failed, newest first."""
        require_any(self.session, Resource.SCHEDULE, Action.READ)
        with self.session.store.read() as s:
            q_in = select(InboundMessage).where(InboundMessage.needs_attention.is_(True),
                                                InboundMessage.deleted.is_(False))
            q_out = select(ReminderMessage).where(ReminderMessage.needs_attention.is_(True),
                                                  ReminderMessage.deleted.is_(False))
            if not include_handled:
                q_in = q_in.where(InboundMessage.handled_at.is_(None))
                q_out = q_out.where(ReminderMessage.handled_at.is_(None))
            inbound = [m for m in s.scalars(q_in) if self._may_read(s, m.client_id, m.provider_id)]
            failures = [m for m in s.scalars(q_out) if self._may_read(s, m.client_id, m.provider_id)]
            names = self._names(s, {m.client_id for m in inbound} | {m.client_id for m in failures})
            items = [InboxItem(m.id, "reply", m.received_at, m.client_id, names.get(m.client_id or "", ""),
                               m.from_number, m.channel, m.body, m.reason or "", m.appointment_id, m.handled_at)
                     for m in inbound]
            items += [InboxItem(m.id, "failure", m.created_at, m.client_id, names.get(m.client_id or "", ""),
                                m.to_address, m.channel, m.body, m.error_reason or "Not delivered", m.appointment_id,
                                m.handled_at) for m in failures]
            return sorted(items, key=lambda i: i.at, reverse=True)

    def inbox_count(self) -> int:
        """How many inbox items wait for a person (the count in the navigation)."""
        if self.session.actor.role.value in ("admin", "front_desk", "supervisor", "billing"):
            with self.session.store.read() as s:
                replies = s.scalar(select(func.count()).select_from(InboundMessage).where(
                    InboundMessage.needs_attention.is_(True), InboundMessage.handled_at.is_(None),
                    InboundMessage.deleted.is_(False))) or 0
                failures = s.scalar(select(func.count()).select_from(ReminderMessage).where(
                    ReminderMessage.needs_attention.is_(True), ReminderMessage.handled_at.is_(None),
                    ReminderMessage.deleted.is_(False))) or 0
                return int(replies) + int(failures)
        return len(self.inbox())

    def mark_handled(self, item_id: str) -> None:
        """A person has dealt with this reply or failure: it leaves the inbox (and stays in the history)."""
        require_any(self.session, Resource.SCHEDULE, Action.WRITE)
        with self.session.store.write(self.session.actor.user_id) as s:
            row: InboundMessage | ReminderMessage | None = s.get(InboundMessage, item_id) or s.get(
                ReminderMessage, item_id)
            if row is None or row.deleted:
                raise NotFound("That message no longer exists.")
            if row.client_id is not None or row.provider_id is not None:
                self.require(s, Action.WRITE, row.client_id, row.provider_id)
            row.handled_by, row.handled_at = self.session.actor.user_id, self.now()
            audit.record(self.session, s, action="update", record_type=type(row).__tablename__, record_id=row.id,
                         client_id=row.client_id, summary="Handled in the Messages inbox")
            client_id = row.client_id
        self.session.events.emit(MessagesDidChange(client_id))

    def _may_read(self, s: Session, client_id: str | None, provider_id: str | None) -> bool:
        if client_id is None and provider_id is None:
            return self.may(s, Action.READ, None, "")
        return self.may(s, Action.READ, client_id, provider_id)

    @staticmethod
    def _names(s: Session, ids: set[str | None]) -> dict[str, str]:
        wanted = sorted(i for i in ids if i)
        return {cid: f"{last}, {first}" for cid, last, first in s.execute(
            select(Client.id, Client.last_name, Client.first_name).where(Client.id.in_(wanted)))} if wanted else {}

    # -- consent -------------------------------------------------------------------------------

    def consent(self, client_id: str) -> ConsentView:
        """What the client allows, with when and how; nothing recorded reads as no consent to texts."""
        require_any(self.session, Resource.DEMOGRAPHICS, Action.READ)
        with self.session.store.read() as s:
            self.require(s, Action.READ, client_id, None)
            p = s.scalar(select(ContactPreference).where(ContactPreference.client_id == client_id,
                                                         ContactPreference.deleted.is_(False)))
            if p is None:
                return ConsentView(client_id, False, None, "", None, True, None, "", False, None, "", "", "", "")
            return ConsentView(client_id, bool(p.allow_sms and p.sms_consent_at and not p.sms_opted_out_at),
                               p.sms_consent_at, p.sms_consent_source or "", p.sms_opted_out_at, p.allow_email,
                               p.email_consent_at, p.email_consent_source or "",
                               bool(p.allow_voice and p.voice_consent_at), p.voice_consent_at,
                               p.voice_consent_source or "", p.channel, p.language or "", p.time_zone or "")

    def record_consent(self, client_id: str, channel: ChannelName, *, granted: bool, source: str,
                       at: datetime | None = None) -> None:
        """Record that the client gave (or withdrew) consent for ``channel``: when and how (``source``:
        "intake form", "verbal, by phone" …). Giving SMS consent clears an earlier STOP."""
        if channel not in CONSENT_CHANNELS:
            raise ValidationError({"channel": "Choose text message, e-mail or voice call."})
        source = source.strip()
        if granted and not source:
            raise ValidationError({"source": "Say how the client gave consent (e.g. intake form, by phone)."})
        require_any(self.session, Resource.DEMOGRAPHICS, Action.WRITE)
        when = at or self.now()
        with self.session.store.write(self.session.actor.user_id) as s:
            self._require_client(s, client_id)
            p = preference_row(s, client_id)
            setattr(p, f"allow_{channel}", granted)
            setattr(p, f"{channel}_consent_at", when if granted else None)
            setattr(p, f"{channel}_consent_source", source[:60] if granted else (source[:60] or None))
            if channel == "sms":
                p.sms_opted_out_at = None if granted else when
            audit.record(self.session, s, action="update", record_type="contact_preference", client_id=client_id,
                         summary=f"{CHANNEL_LABELS[channel]} consent {'given' if granted else 'withdrawn'}"
                                 + (f" ({source})" if source else ""))
        self.session.events.emit(MessagesDidChange(client_id))

    def set_preferences(self, client_id: str, *, channel: str | None = None, language: str | None = None,
                        time_zone: str | None = None) -> None:
        """The client's preferred channel ("none": no reminders), reminder language and time zone."""
        if channel is not None and channel not in (*CONSENT_CHANNELS, "none", ""):
            raise ValidationError({"channel": "Choose text message, e-mail, voice call or no reminders."})
        if time_zone:
            try:
                zone(time_zone)
            except TimeError as exc:
                raise ValidationError({"time_zone": str(exc)}) from None
        require_any(self.session, Resource.DEMOGRAPHICS, Action.WRITE)
        with self.session.store.write(self.session.actor.user_id) as s:
            self._require_client(s, client_id)
            p = preference_row(s, client_id)
            if channel is not None:
                p.channel = channel
            if language is not None:
                p.language = language.strip() or None
            if time_zone is not None:
                p.time_zone = time_zone.strip() or None
            audit.record(self.session, s, action="update", record_type="contact_preference", client_id=client_id,
                         summary="Reminder preferences changed")
        self.session.events.emit(MessagesDidChange(client_id))

    def _require_client(self, s: Session, client_id: str) -> None:
        c = s.get(Client, client_id)
        if c is None or c.deleted:
            raise NotFound("That client no longer exists.")
        require_client(self.session, Resource.DEMOGRAPHICS, Action.WRITE, c.primary_clinician_id)

    # -- figures -------------------------------------------------------------------------------

    def monthly_counts(self, months: int = 12) -> list[stats.MonthlyCount]:
        """Messages per month and channel, with the provider's cost (administrators' dashboard)."""
        require_any(self.session, Resource.ADMINISTRATION, Action.READ)
        with self.session.store.read() as s:
            return stats.monthly_counts(s, self.now() - timedelta(days=31 * months))

    def outcome_groups(self, first_month: date, last_month: date) -> list[stats.OutcomeGroup]:
        """Reminded appointments of the months ``first_month``…``last_month`` (the practice's calendar
        months, past visits only) grouped by the answer to their reminder, with each group's no-shows."""
        require_any(self.session, Resource.ADMINISTRATION, Action.READ)
        if (last_month.year, last_month.month) < (first_month.year, first_month.month):
            raise ValidationError({"until": "The last month is before the first."})
        after = date(last_month.year + last_month.month // 12, last_month.month % 12 + 1, 1)
        with self.session.store.read() as s:
            tz = self.tz(s)
            start = day_bounds_utc(first_month.replace(day=1), tz)[0]
            end = day_bounds_utc(after, tz)[0]
            return stats.outcome_groups(s, start, end, self.now())

    def outcomes(self, start: datetime, end: datetime) -> stats.Outcomes:
        """Reminded appointments starting in [start, end): confirmation rate, cancellations, no-shows."""
        require_any(self.session, Resource.DASHBOARD, Action.READ)
        with self.session.store.read() as s:
            return stats.outcomes(s, start, end)


def preview_appointment(s: Session, a: Appointment, now: datetime) -> list[PreviewItem]:
    """What :meth:`ReminderDeskService.preview` and ``mentalspace reminders preview`` show."""
    ctxs = contexts(s, [a], practice_of(s))  # a group session: one context per member to remind
    if not ctxs:
        return []
    rule = rule_for(rules_of(s), ctxs[0].type_id)
    if rule is None:
        return []
    templates = Templates.load(s)
    existing = {m.key: m.state for m in s.scalars(select(ReminderMessage).where(
        ReminderMessage.chain_id == ctxs[0].chain_id))}
    out = []
    planned = [(c, p) for c in ctxs for p in plan(
        rule, chain_id=c.chain_id, start_at=c.start_at, client_zone=c.client_zone, consents=c.consents,
        contacts=c.contacts(), member=c.member)]
    for ctx, p in planned:
        blocked = list(p.reasons)
        due = p.when.at if isinstance(p.when, Due) else None
        moved = p.when.moved if isinstance(p.when, Due) else False
        if not isinstance(p.when, Due):
            blocked.append(p.when.reason)
        try:
            built = build(ctx, p.channel, TemplateKind.REMINDER, templates, stamp=now, with_calendar=False)
            subject, text = built.subject, built.text
        except NoTemplate as exc:
            subject, text = "", ""
            blocked.append(str(exc))
        out.append(PreviewItem(p.channel, p.offset_minutes, due, moved, subject, text, tuple(blocked),
                               existing.get(p.key, "")))
    return out


def history_of_client(s: Session, client_id: str) -> list[HistoryItem]:
    """Every reminder sent to a client and every reply of theirs, newest first (the caller has checked
    that the reader may open the client)."""
    out = list(s.scalars(select(ReminderMessage).where(ReminderMessage.client_id == client_id)))
    replies = list(s.scalars(select(InboundMessage).where(InboundMessage.client_id == client_id)))
    return _history(out, replies)


def _history(out: list[ReminderMessage], replies: list[InboundMessage]) -> list[HistoryItem]:
    items = [HistoryItem(m.sent_at or m.created_at, "out", m.channel, m.kind, m.state, m.body,
                         m.error_reason or "", m.appointment_id, m.needs_attention and m.handled_at is None)
             for m in out if not m.deleted]
    items += [HistoryItem(r.received_at, "in", r.channel, r.intent, r.action, r.body, r.reason or "",
                          r.appointment_id, r.needs_attention and r.handled_at is None)
              for r in replies if not r.deleted]
    return sorted(items, key=lambda i: i.at, reverse=True)
