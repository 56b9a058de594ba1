"""What Twilio posts to the hub, checked and read into the seam's values.

The hub's webhook routes hand each request here: :func:`is_from_twilio` checks the
``X-Twilio-Signature`` with the account's auth token (``twilio.request_validator``: the full URL
Twilio called, and every form field), and the readers turn the form into a
:class:`~mentalspace_desktop.domain.reminders.outgoing.DeliveryReport` or an
:class:`~mentalspace_desktop.domain.reminders.outgoing.InboundReply`. What a reply means (confirm,
cancel, STOP) is the reminder service's business.

Behind a proxy or load balancer the URL the hub sees may differ from the one Twilio called (http
instead of https, another host): the routes pass the public URL (the settings' webhook base and the
path, with the query string Twilio called) so the signature is checked against what Twilio signed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from twilio.request_validator import RequestValidator

from mentalspace_desktop.domain.reminders.outgoing import DeliveryReport, DeliveryState, InboundReply

SIGNATURE_HEADER = "X-Twilio-Signature"
MESSAGE_STATES: dict[str, DeliveryState] = {
    "accepted": "queued", "scheduled": "queued", "queued": "queued", "sending": "queued", "sent": "sent",
    "delivered": "delivered", "read": "delivered", "undelivered": "undelivered", "failed": "failed",
    "canceled": "failed",
}
CALL_STATES: dict[str, DeliveryState] = {
    "queued": "queued", "initiated": "queued", "ringing": "queued", "in-progress": "answered",
    "completed": "answered", "busy": "no_answer", "no-answer": "no_answer", "failed": "failed", "canceled": "failed",
}


class NotFromTwilio(ValueError):
    """A form that is not a Twilio callback of the expected kind (a field missing)."""


def is_from_twilio(auth_token: str, url: str, form: Mapping[str, str], signature: str | None) -> bool:
    """Whether ``signature`` is Twilio's for a POST of ``form`` to ``url``; a missing one never is."""
    if not signature or not auth_token:
        return False
    return bool(RequestValidator(auth_token).validate(url, dict(form), signature))


def _field(form: Mapping[str, str], *names: str) -> str:
    for name in names:
        value = form.get(name)
        if value:
            return str(value)
    raise NotFromTwilio(f"the callback has no {names[0]}")


def delivery_report(form: Mapping[str, str], *, now: datetime | None = None) -> DeliveryReport:
    """A message's status callback (``MessageStatus``) or a call's (``CallStatus``)."""
    when = now or datetime.now(UTC)
    if "MessageSid" in form or "MessageStatus" in form:
        status = _field(form, "MessageStatus", "SmsStatus").lower()
        if status not in MESSAGE_STATES:
            raise NotFromTwilio(f"unknown message status {status!r}")
        return DeliveryReport(_field(form, "MessageSid", "SmsSid"), MESSAGE_STATES[status],
                              form.get("ErrorCode") or None, when)
    status = _field(form, "CallStatus").lower()
    if status not in CALL_STATES:
        raise NotFromTwilio(f"unknown call status {status!r}")
    return DeliveryReport(_field(form, "CallSid"), CALL_STATES[status], form.get("ErrorCode") or None, when)


def inbound_text(form: Mapping[str, str], *, now: datetime | None = None) -> InboundReply:
    """A text message a client sent to the practice's number."""
    return InboundReply("sms", _field(form, "From"), _field(form, "To"), str(form.get("Body", "")),
                        _field(form, "MessageSid", "SmsMessageSid", "SmsSid"), now or datetime.now(UTC))


def key_press(form: Mapping[str, str], *, now: datetime | None = None) -> InboundReply:
    """The key a client pressed during a reminder call (the ``<Gather>`` result). The practice placed
    the call, so Twilio's ``To`` is the client and ``From`` the practice."""
    call = _field(form, "CallSid")
    return InboundReply("voice", _field(form, "To"), _field(form, "From"), str(form.get("Digits", "")), call,
                        now or datetime.now(UTC), call_id=call)
