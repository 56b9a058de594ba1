"""Reminders in solo mode: the app sends them itself while it is open.

:func:`run_solo` is what the app's timer calls (every minute, off the UI thread); the hub's job runs
the same engine on the hub's database. On start, the first call catches up only on reminders still
useful (see :mod:`mentalspace_desktop.services.reminders.engine`). :func:`poll_solo` reads the
replies and delivery statuses the hub would have received on its webhooks, from Twilio's REST API.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from mentalspace_desktop.domain.reminders.keys import reply_key
from mentalspace_desktop.domain.reminders.outgoing import Channel, Outgoing, SendFailed
from mentalspace_desktop.integrations.twilio_poll import PollFailed, inbound_texts, status_of
from mentalspace_desktop.integrations.twilio_rest import TwilioSettings
from mentalspace_desktop.integrations.twilio_sms import TwilioSmsChannel
from mentalspace_desktop.services import messaging_settings
from mentalspace_desktop.services.reminders.engine import EngineConfig, ReminderEngine, RunSummary
from mentalspace_desktop.services.reminders.facts import practice_of
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.services.reminders.ledger import StoreLedger
from mentalspace_desktop.services.reminders.wiring import close_channels, practice_channels
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import SyncState
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.types import utcnow


def run_solo(store: Store, channels: Mapping[str, Channel] | None = None, *, config: EngineConfig | None = None,
             now: Callable[[], datetime] = utcnow) -> RunSummary:
    """Send what is due now from this workstation's store (solo mode only: with a hub, the hub sends).

    ``channels`` default to those the practice set up in this store's messaging settings (closed
    afterwards). Replies and delivery statuses are read by :func:`poll_solo` (no webhook reaches a
    workstation)."""
    made = dict(channels) if channels is not None else {}
    if channels is None:
        made, settings = practice_channels(messaging_settings.smtp_settings(store),
                                           messaging_settings.twilio_settings(store),
                                           practice_phone=_practice_phone(store))
        config = config or settings
    try:
        return ReminderEngine(StoreLedger(store), made, config=config, now=now).run_once()
    finally:
        if channels is None:
            close_channels(made.values())


def _practice_phone(store: Store) -> str:
    with store.read() as s:
        return practice_of(s).phone


# -- replies and delivery statuses, asked for (no webhook reaches a solo workstation) -------------

POLL_KEY = "reminders:polled_until"
"""``sync_state``: where the next look starts (the newest text read, as Twilio dated it; ISO 8601, UTC)."""
OVERLAP = timedelta(minutes=10)
"""Each look goes this far back before the last one (Twilio may list a text a little late); what was
read already is recognised by its SID and changes nothing."""
FIRST_LOOK = timedelta(days=2)
STATUS_WINDOW = timedelta(days=3)
"""Messages sent this recently whose status is not final are asked about."""
MAX_STATUS = 200
UNSETTLED = ("queued", "sent")


@dataclass
class PollSummary:
    replies: int = 0
    answered: int = 0
    statuses: int = 0
    errors: list[str] = field(default_factory=list)
    set_up: bool = True

    def describe(self) -> str:
        if not self.set_up:
            return "text messages are not set up"
        parts = [f"{n} {label}" for n, label in ((self.replies, "replies read"), (self.answered, "answered"),
                                                 (self.statuses, "statuses updated")) if n]
        return ", ".join(parts + self.errors) or "no replies"


def poll_solo(store: Store, *, twilio: TwilioSettings | None = None, now: Callable[[], datetime] = utcnow,
              signed_in: tuple[str, str] | None = None) -> PollSummary:
    """Read the texts clients sent to the practice's number and the delivery status of what was sent,
    from Twilio's REST API, and handle them as the hub's webhooks do (services/reminders/inbound.py):
    each text once (its SID is recorded), answered by text when it asks for an answer. Key presses on
    reminder calls cannot be read this way (Twilio only posts them to a webhook). ``signed_in`` (user
    id, username): who is signed in, named in the audit entries (see :class:`StoreLedger`)."""
    summary = PollSummary()
    settings = twilio or messaging_settings.twilio_settings(store)
    if settings is None or not (settings.from_number and settings.account_sid and settings.auth_token):
        summary.set_up = False
        return summary
    at = now()
    channel = TwilioSmsChannel(settings, pool_size=2)
    handler = ReplyHandler(StoreLedger(store, *(signed_in or (None, None))), now=lambda: at)
    try:
        since = _cursor(store) or at - FIRST_LOOK
        try:
            replies = sorted(inbound_texts(channel.client, settings.from_number, since - OVERLAP),
                             key=lambda r: (r.received_at, r.provider_id))
            listed = True
        except PollFailed as exc:
            summary.errors.append(str(exc))
            replies, listed = [], False
        for reply in replies:
            outcome = handler.handle(reply)
            if not outcome.recorded:
                continue
            summary.replies += 1
            if outcome.answer:
                try:
                    channel.send(Outgoing(key=reply_key(reply.provider_id), channel="sms", to=reply.from_number,
                                          text=outcome.answer))
                    summary.answered += 1
                except SendFailed as exc:
                    summary.errors.append(f"an answer could not be sent: {exc.reason}")
        # The next look starts from the newest text read (less the overlap), in Twilio's own time: this
        # workstation's clock may run ahead of it. After a failed look, from the same place.
        if listed:
            _save_cursor(store, max([since, *(r.received_at for r in replies)]))
        _poll_statuses(store, channel, handler, at, summary)
    finally:
        channel.close()
    return summary


def _poll_statuses(store: Store, channel: TwilioSmsChannel, handler: ReplyHandler, at: datetime,
                   summary: PollSummary) -> None:
    with store.read() as s:
        sent = s.execute(select(ReminderMessage.provider_message_id, ReminderMessage.state).where(
            ReminderMessage.channel.in_(("sms", "voice")), ReminderMessage.provider_message_id.is_not(None),
            ReminderMessage.state.in_(UNSETTLED), ReminderMessage.sent_at >= at - STATUS_WINDOW)
            .order_by(ReminderMessage.sent_at).limit(MAX_STATUS)).all()
    for sid, state in sent:
        try:
            report = status_of(channel.client, sid or "", now=at)
        except PollFailed as exc:
            summary.errors.append(str(exc))
            return
        if report is not None and report.state != state and handler.delivery(report):
            summary.statuses += 1


def _cursor(store: Store) -> datetime | None:
    with store.read() as s:
        row = s.get(SyncState, POLL_KEY)
    try:
        return datetime.fromisoformat(row.value) if row is not None else None
    except ValueError:
        return None


def _save_cursor(store: Store, when: datetime) -> None:
    with store.write(None) as s:
        s.merge(SyncState(key=POLL_KEY, value=when.astimezone(UTC).isoformat()))
