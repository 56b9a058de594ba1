"""Reading replies and delivery statuses from Twilio's REST API, for a practice Twilio cannot call.

Without a hub reachable from the internet (solo mode) there is no webhook: the workstation asks
instead. Inbound texts are listed with the Messages resource (``To`` = the practice's number,
``DateSent>`` = the last time looked, newest first, page by page: twilio-python's
``MessageList.stream`` follows ``next_page_uri``); a message or call the practice sent is fetched
by its SID for its status. What comes back is read into the same values the webhooks give
(:class:`~mentalspace_desktop.domain.reminders.outgoing.InboundReply`,
:class:`~mentalspace_desktop.domain.reminders.outgoing.DeliveryReport`), so the same reply handling
applies. A key pressed during a call is only ever posted to a webhook: it cannot be read this way.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from mentalspace_desktop.domain.reminders.outgoing import DeliveryReport, InboundReply
from mentalspace_desktop.integrations.twilio_webhooks import CALL_STATES, MESSAGE_STATES

PAGE_SIZE = 100


class PollFailed(Exception):
    """Twilio could not be asked (down, refused the account): tried again at the next poll."""


def inbound_texts(client: Client, practice_number: str, since: datetime) -> Iterator[InboundReply]:
    """Texts sent to ``practice_number`` since ``since`` (UTC), newest first, as Twilio lists them."""
    try:
        for m in client.messages.stream(to=practice_number, date_sent_after=since.astimezone(UTC),
                                         page_size=PAGE_SIZE):
            if not str(m.direction or "").startswith("inbound"):
                continue
            yield InboundReply("sms", str(m.from_ or ""), str(m.to or ""), str(m.body or ""), str(m.sid),
                               m.date_sent or m.date_created or datetime.now(UTC))
    except (TwilioException, requests.RequestException) as exc:
        raise PollFailed(f"Twilio could not list the messages received ({type(exc).__name__})") from exc


def status_of(client: Client, sid: str, *, now: datetime) -> DeliveryReport | None:
    """What Twilio now says of a message (``SM…``) or call (``CA…``) the practice sent; None when its
    status is not one a reminder records, or Twilio no longer knows the SID."""
    try:
        if sid.startswith("CA"):
            call = client.calls(sid).fetch()
            state = CALL_STATES.get(str(call.status or "").lower())
            return DeliveryReport(sid, state, None, now) if state else None
        message = client.messages(sid).fetch()
    except TwilioException as exc:
        if getattr(exc, "status", None) == 404:
            return None
        raise PollFailed(f"Twilio could not be asked about a message ({type(exc).__name__})") from exc
    except requests.RequestException as exc:
        raise PollFailed(f"Twilio could not be reached ({type(exc).__name__})") from exc
    state = MESSAGE_STATES.get(str(message.status or "").lower())
    code = message.error_code
    return DeliveryReport(sid, state, str(code) if code else None, now) if state else None
