"""Appointment reminders: the rules and templates a practice writes, every message sent or tried, and
the replies that come back (the front desk's Messages inbox).

A message row is written with its idempotency key (UNIQUE) *before* the provider is called: the
database then refuses a second row for the same reminder, so retries, restarts and two hub processes
cannot send it twice. Rows keep only what a reminder needs: the rendered text that left the practice,
where it went, and what happened to it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Base, Synced
from mentalspace_desktop.store.types import UTCDateTime


class ReminderRule(Synced, Base):
    """Which reminders appointments get: the practice's rule (``type_id`` empty) or one type's."""

    __tablename__ = "reminder_rules"

    type_id: Mapped[str | None] = mapped_column(ForeignKey("appointment_types.id"), index=True)
    offsets: Mapped[str] = mapped_column(String(100))  # minutes before the start, "2880,120"
    channels: Mapped[str] = mapped_column(String(40))  # "sms,email,voice"
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "21:00" client's wall clock; None: none
    quiet_end: Mapped[str | None] = mapped_column(String(5))  # "08:00"
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReminderTemplate(Synced, Base):
    """A practice's own words for one language, channel and kind (domain/reminders/templates.py)."""

    __tablename__ = "reminder_templates"

    language: Mapped[str] = mapped_column(String(40), default="English")
    channel: Mapped[str] = mapped_column(String(8))  # sms, email, voice
    kind: Mapped[str] = mapped_column(String(20), default="reminder")  # TemplateKind
    subject: Mapped[str] = mapped_column(String(200), default="")  # e-mail only
    body: Mapped[str] = mapped_column(Text)
    allow_last_name: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class ReminderMessage(Synced, Base):
    """One message to a client (or one attempt to send it), keyed so it is sent at most once.

    States: ``sending`` (claimed, the provider is being called), ``queued``/``sent``/``delivered``
    (the provider took it; callbacks move it on), ``retry`` (a transient failure: tried again at
    ``next_attempt_at``), ``failed`` (permanent, or retries used up: a person must look),
    ``undelivered`` (the provider took it but could not deliver), ``uncertain`` (the process died
    while the provider was being called: it may have gone, so it is never sent again by itself),
    ``answered``/``no_answer`` (calls).
    """

    __tablename__ = "reminder_messages"
    __table_args__ = (
        Index("ix_reminder_messages_state_next", "state", "next_attempt_at"),
        Index("ix_reminder_messages_appointment", "appointment_id", "created_at"),
    )

    key: Mapped[str] = mapped_column(String(120), unique=True)
    chain_id: Mapped[str] = mapped_column(String(36), index=True)  # first appointment of a reschedule chain
    appointment_id: Mapped[str] = mapped_column(String(36))
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"), index=True)
    provider_id: Mapped[str | None] = mapped_column(String(36))  # the appointment's provider (scopes)
    kind: Mapped[str] = mapped_column(String(20), default="reminder")  # TemplateKind
    offset_minutes: Mapped[int | None] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(String(8))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)  # the exact text that left (or would have left) the practice
    appointment_start: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the start it spoke of
    ics_sequence: Mapped[int | None] = mapped_column(Integer)  # e-mail invitations: SEQUENCE sent
    state: Mapped[str] = mapped_column(String(12), default="sending")
    provider_message_id: Mapped[str | None] = mapped_column(String(64), index=True)  # Twilio SID, Message-ID
    error_code: Mapped[str | None] = mapped_column(String(20))
    error_reason: Mapped[str | None] = mapped_column(String(300))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cost_cents: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)  # failures shown to the front desk
    handled_by: Mapped[str | None] = mapped_column(String(36))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class InboundMessage(Synced, Base):
    """A client's reply (a text, or a key pressed on a reminder call): the Messages inbox.

    ``provider_message_id`` is UNIQUE: a webhook delivered twice (Twilio retries, a replayed
    request) is recorded once and acted on once.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (Index("ix_inbound_messages_attention", "needs_attention", "received_at"),)

    provider_message_id: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(8))  # sms, voice
    from_number: Mapped[str] = mapped_column(String(20), index=True)
    body: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.id"), index=True)  # None: unknown number
    appointment_id: Mapped[str | None] = mapped_column(String(36))  # the appointment it was read as about
    provider_id: Mapped[str | None] = mapped_column(String(36))  # that appointment's provider (scopes)
    reminder_message_id: Mapped[str | None] = mapped_column(String(36), index=True)  # the reminder it answers
    intent: Mapped[str] = mapped_column(String(10))  # domain/reminders/replies.Intent
    action: Mapped[str] = mapped_column(String(20), default="")  # confirmed, cancelled, opted_out, …
    reason: Mapped[str | None] = mapped_column(String(300))  # why a person must look
    needs_attention: Mapped[bool] = mapped_column(Boolean, default=False)
    handled_by: Mapped[str | None] = mapped_column(String(36))
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class EarlyDeliveryReport(Base):
    """A delivery report that arrived before the message's provider id was recorded (Twilio may call
    the status callback before its answer to our send reached us). Kept here, not dropped, and applied
    when the id is recorded (services/reminders/delivery.py). Not synced: it belongs to whoever
    sends (the hub, or a solo workstation), and its row goes once applied.
    """

    __tablename__ = "early_delivery_reports"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    provider_message_id: Mapped[str] = mapped_column(String(64), index=True)
    state: Mapped[str] = mapped_column(String(12))
    error_code: Mapped[str | None] = mapped_column(String(20))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
