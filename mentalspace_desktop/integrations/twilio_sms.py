"""Text-message reminders through Twilio's Messages API.

A :class:`~mentalspace_desktop.domain.reminders.outgoing.Channel`: it sends exactly the text it is
given, from the practice's number, asks Twilio to report delivery to the hub (the message's
``status_callback``, or the hub's standard status URL when the practice has a public hub address),
and passes the reminder's idempotency key on (see :mod:`.twilio_rest`). Consent, quiet hours and
whether this reminder went already are the reminder service's business, not this module's.
"""

from __future__ import annotations

import requests
from twilio.base.exceptions import TwilioException

from mentalspace_desktop.domain.reminders.outgoing import (
    Accepted,
    ChannelName,
    DeliveryState,
    Outgoing,
    SendFailed,
)
from mentalspace_desktop.integrations.twilio_rest import (
    SMS_STATUS_PATH,
    TwilioChannelBase,
    cost_cents,
    failure,
    idempotent,
)

MAX_BODY = 1600  # Twilio refuses longer bodies (error 21617)
_STATES: dict[str, DeliveryState] = {"accepted": "queued", "queued": "queued", "sending": "queued",
                                     "scheduled": "queued", "sent": "sent", "delivered": "delivered",
                                     "undelivered": "undelivered", "failed": "failed"}


class TwilioSmsChannel(TwilioChannelBase):
    """Sends reminders as text messages; one instance may be used from several threads at once."""

    name: ChannelName = "sms"

    def send(self, message: Outgoing) -> Accepted:
        if message.channel != "sms":
            raise ValueError(f"the text channel was given a {message.channel} message")
        if not self.settings.from_number:
            raise SendFailed("No sending number is set for text messages; enter it in the messaging settings.",
                             permanent=True, code="not_configured")
        if not message.text.strip():
            raise SendFailed("The text message is empty.", permanent=True, code="empty")
        if len(message.text) > MAX_BODY:
            raise SendFailed(f"The text message is {len(message.text)} characters long; at most {MAX_BODY} "
                             "can be sent.", permanent=True, code="21617")
        callback = message.status_callback or self.settings.webhook(SMS_STATUS_PATH)
        try:
            with idempotent(message.key):
                sent = self.client.messages.create(
                    to=message.to, from_=self.settings.from_number, body=message.text,
                    **({"status_callback": callback} if callback else {}))
        except (TwilioException, requests.RequestException) as exc:
            raise failure(exc, to=message.to) from exc
        return Accepted(provider_id=str(sent.sid), state=_STATES.get(str(sent.status or "queued"), "queued"),
                        cost_cents=cost_cents(sent.price))
