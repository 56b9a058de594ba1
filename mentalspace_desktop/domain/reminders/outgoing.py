"""What a reminder channel is handed and what it answers: the seam between the reminder service and
the providers (Twilio for SMS and voice, SMTP for e-mail).

A channel sends exactly what it is given; deciding what to send, when, and whether it was already sent
(the idempotency key) is the service's job. A channel says whether a failure is permanent (an
invalid number, a landline for a text, an unknown mailbox: retrying cannot help and a person must
look) or transient (the provider is down or busy: retry with backoff).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

ChannelName = Literal["sms", "email", "voice"]
DeliveryState = Literal["queued", "sent", "delivered", "undelivered", "failed", "answered", "no_answer"]


@dataclass(frozen=True)
class Outgoing:
    """One message to one person, fully rendered."""

    key: str
    """The idempotency key (appointment, offset, channel, and the appointment's sequence for updates):
    the provider is told it too where it can use it, so a retried request is not a second message."""
    channel: ChannelName
    to: str
    """An E.164 phone number (sms, voice) or an e-mail address."""
    text: str
    """The text message, the e-mail's text part, or what the voice call reads aloud."""
    subject: str = ""
    html: str = ""
    calendar: bytes | None = None
    """An iCalendar attachment for e-mail (METHOD:REQUEST, or METHOD:CANCEL when withdrawn)."""
    calendar_method: Literal["", "REQUEST", "CANCEL"] = ""
    status_callback: str = ""
    """Where the provider reports delivery (the hub's webhook URL), when there is one."""


@dataclass(frozen=True)
class Accepted:
    """The provider took the message."""

    provider_id: str
    """Twilio's message or call SID; the e-mail's Message-ID."""
    state: DeliveryState = "queued"
    cost_cents: int | None = None


class SendFailed(Exception):
    """The provider did not take the message."""

    def __init__(self, reason: str, *, permanent: bool, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code
        """The provider's error code (e.g. Twilio 21211 invalid number, 21614 not a mobile; SMTP 550)."""


class Channel(Protocol):
    name: ChannelName

    def send(self, message: Outgoing) -> Accepted:
        """Hand ``message`` to the provider; raise :class:`SendFailed` if it was not taken."""
        ...


@dataclass(frozen=True)
class InboundReply:
    """A client's answer: a text message, or the key pressed during a reminder call."""

    channel: Literal["sms", "voice"]
    from_number: str
    to_number: str
    body: str
    """The text, or the digits pressed."""
    provider_id: str
    received_at: datetime
    call_id: str = ""
    """For voice: the SID of the reminder call being answered (ties the key press to its reminder)."""


@dataclass(frozen=True)
class DeliveryReport:
    """A provider's status callback for a message it accepted earlier."""

    provider_id: str
    state: DeliveryState
    error_code: str | None
    reported_at: datetime
