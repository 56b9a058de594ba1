"""Voice reminders through Twilio calls: the reminder read aloud, one key to confirm (1) or cancel (2).

The call carries its TwiML inline (no page for Twilio to fetch first): the reminder is read, then a
``<Gather>`` waits for one key and posts it to the hub's webhook (``VOICE_GATHER_PATH``), signed by
Twilio; the reminder is read a second time when nothing was pressed. The hub answers the key press
with :func:`answer_twiml`. Without a public hub address (solo mode) there is nowhere to post a key
press to, so the call only reads the reminder and asks the client to call the practice.

Everything spoken is built with ``twilio.twiml.voice_response``, which escapes it: a first name such
as "Ann & Bo" cannot break the document.
"""

from __future__ import annotations

from typing import Literal

import requests
from twilio.base.exceptions import TwilioException
from twilio.rest import Client
from twilio.twiml.voice_response import Say, VoiceResponse

from mentalspace_desktop.domain.reminders.outgoing import Accepted, ChannelName, DeliveryState, Outgoing, SendFailed
from mentalspace_desktop.integrations.twilio_rest import (
    VOICE_GATHER_PATH,
    VOICE_STATUS_PATH,
    TwilioChannelBase,
    TwilioSettings,
    cost_cents,
    failure,
    idempotent,
)

CONFIRM_KEY = "1"
CANCEL_KEY = "2"
MAX_TWIML = 4000  # Twilio's limit for inline TwiML (the ``Twiml`` parameter of a call)
RING_SECONDS = 30
GATHER_SECONDS = 8
PROMPT = "To confirm this appointment, press 1. To cancel it, press 2."
Answer = Literal["confirmed", "cancelled", "not_understood", "too_late", "unknown_call"]
_STATES: dict[str, DeliveryState] = {"queued": "queued", "initiated": "queued", "ringing": "queued",
                                     "in-progress": "answered", "completed": "answered", "busy": "no_answer",
                                     "no-answer": "no_answer", "canceled": "failed", "failed": "failed"}


def _phone(say: Say, phone: str) -> None:
    """A phone number read digit by digit ("four oh four …"), not as a large number."""
    say.say_as(phone, interpret_as="telephone")


def reading_twiml(text: str, *, gather_url: str, practice_phone: str = "", language: str = "en-US") -> str:
    """What the reminder call says: the reminder, then (with a ``gather_url``) the choice of keys,
    twice if nothing is pressed; without one, a request to call the practice."""
    response = VoiceResponse()
    response.pause(length=1)  # the first words are lost while the person lifts the phone
    if gather_url:
        for attempt in range(2):
            gather = response.gather(num_digits=1, action=gather_url, method="POST", timeout=GATHER_SECONDS,
                                     action_on_empty_result=False)
            if attempt:
                gather.say("Here is the message again.", language=language)
            gather.say(text, language=language)
            gather.say(PROMPT, language=language)
        response.say("We did not receive a choice.", language=language)
    else:
        response.say(text, language=language)
    if practice_phone:
        _phone(response.say("To change your appointment, please call ", language=language), practice_phone)
    response.say("Goodbye.", language=language)
    response.hangup()
    return str(response)


def answer_twiml(answer: Answer, *, practice_phone: str = "", language: str = "en-US") -> str:
    """What the call says after a key press, as the hub decided it (the hub returns this document)."""
    response = VoiceResponse()
    words = {
        "confirmed": "Thank you. Your appointment is confirmed. We look forward to seeing you.",
        "cancelled": "Your appointment has been cancelled.",
        "not_understood": "Sorry, that key is not one of the choices. Nothing was changed.",
        "too_late": "This appointment can no longer be changed by phone. Nothing was changed.",
        "unknown_call": "Sorry, we could not find this reminder. Nothing was changed.",
    }[answer]
    response.say(words, language=language)
    if practice_phone and answer != "confirmed":
        lead = "To book another time, please call " if answer == "cancelled" else "Please call the practice at "
        _phone(response.say(lead, language=language), practice_phone)
    response.say("Goodbye.", language=language)
    response.hangup()
    return str(response)


class TwilioVoiceChannel(TwilioChannelBase):
    """Places reminder calls; one instance may be used from several threads at once."""

    name: ChannelName = "voice"

    def __init__(self, settings: TwilioSettings, *, pool_size: int = 8, client: Client | None = None,
                 practice_phone: str = "", language: str = "en-US") -> None:
        super().__init__(settings, pool_size=pool_size, client=client)
        self.practice_phone = practice_phone
        self.language = language

    def twiml_for(self, message: Outgoing) -> str:
        return reading_twiml(message.text, gather_url=self.settings.webhook(VOICE_GATHER_PATH),
                             practice_phone=self.practice_phone, language=self.language)

    def send(self, message: Outgoing) -> Accepted:
        if message.channel != "voice":
            raise ValueError(f"the voice channel was given a {message.channel} message")
        if not self.settings.from_number:
            raise SendFailed("No calling number is set for voice reminders; enter it in the messaging settings.",
                             permanent=True, code="not_configured")
        twiml = self.twiml_for(message)
        if len(twiml) > MAX_TWIML:
            raise SendFailed("The voice reminder is too long to read in one call; shorten its template.",
                             permanent=True, code="twiml_too_long")
        callback = message.status_callback or self.settings.webhook(VOICE_STATUS_PATH)
        extra: dict[str, object] = {}
        if callback:
            extra = {"status_callback": callback, "status_callback_method": "POST",
                     "status_callback_event": ["answered", "completed"]}
        try:
            with idempotent(message.key):
                call = self.client.calls.create(to=message.to, from_=self.settings.from_number, twiml=twiml,
                                                timeout=RING_SECONDS, **extra)
        except (TwilioException, requests.RequestException) as exc:
            raise failure(exc, to=message.to) from exc
        return Accepted(provider_id=str(call.sid), state=_STATES.get(str(call.status or "queued"), "queued"),
                        cost_cents=cost_cents(call.price))
