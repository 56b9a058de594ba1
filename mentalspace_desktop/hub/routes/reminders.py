"""Twilio's webhooks for reminders: inbound texts, key presses on reminder calls, delivery status.

Every request must carry a valid ``X-Twilio-Signature`` (HMAC-SHA1 of the full URL and the sorted
form fields under the account's auth token, checked by ``twilio.request_validator``): a missing or
forged one is refused with 403 before anything is read or changed. The token and the hub's
public address come from the messaging settings (services/messaging_settings.py); the URL checked is
the one Twilio used: under that public address when one is set, else the request's own.
A replayed request (the same message or call id) is recorded once and changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool
from twilio.twiml.messaging_response import MessagingResponse

from mentalspace_desktop.hub.deps import Hub, HubContext
from mentalspace_desktop.hub.errors import HubError, forbidden, responses
from mentalspace_desktop.hub.services.reminders import HubLedger
from mentalspace_desktop.integrations.twilio_rest import TwilioSettings
from mentalspace_desktop.integrations.twilio_voice import Answer, answer_twiml
from mentalspace_desktop.integrations.twilio_webhooks import (
    SIGNATURE_HEADER,
    NotFromTwilio,
    delivery_report,
    inbound_text,
    is_from_twilio,
    key_press,
)
from mentalspace_desktop.services.messaging_settings import hub_twilio_settings
from mentalspace_desktop.services.reminders.facts import practice_of
from mentalspace_desktop.services.reminders.inbound import ReplyHandler
from mentalspace_desktop.store.types import utcnow

T = TypeVar("T")
router = APIRouter(prefix="/v1/reminders/twilio", tags=["reminders"])
# The paths the channels give Twilio (integrations/twilio_rest.py: SMS_INBOUND_PATH, SMS_STATUS_PATH,
# VOICE_GATHER_PATH, VOICE_STATUS_PATH) under the hub's public address.

TWIML = "application/xml"
# Twilio's form is read by the route itself (and only after its signature is checked), so the document
# names the answers: the TwiML, 403 for a missing or forged signature, 400 for a form without its ids.
REFUSALS = responses(400, 403, params=False)
TWIML_ANSWER: dict[int | str, dict[str, Any]] = {
    200: {"description": "TwiML for Twilio", "content": {TWIML: {"schema": {"type": "string"}}}}, **REFUSALS}


def _twilio(hub: HubContext) -> TwilioSettings | None:
    with hub.sessions() as session:
        return hub_twilio_settings(session)


def _url(request: Request, public_base: str) -> str:
    """The URL Twilio signed: under the hub's public address (behind a proxy the hub sees another)."""
    if public_base:
        query = f"?{request.url.query}" if request.url.query else ""
        return public_base.rstrip("/") + request.url.path + query
    return str(request.url)


async def verified_form(request: Request, hub: HubContext) -> dict[str, str]:
    """The request's form fields, once its Twilio signature is checked; 403 otherwise (also when
    Twilio is not set up in the messaging settings: nothing can be verified then)."""
    twilio = await run_in_threadpool(_twilio, hub)
    token = twilio.auth_token if twilio else ""
    signature = request.headers.get(SIGNATURE_HEADER, "")
    # Twilio posts application/x-www-form-urlencoded (one value per field); read here rather than with
    # python-multipart, which the hub does not otherwise need.
    body = await request.body()
    try:
        params = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200))
    except (UnicodeDecodeError, ValueError):
        raise HubError(400, "The request's form could not be read.", "bad_request") from None
    url = _url(request, twilio.webhook_base if twilio else "")
    if not is_from_twilio(token, url, params, signature):
        raise forbidden("The request is not signed by the messaging provider.", "bad_signature")
    return params


def _handler(hub: HubContext) -> ReplyHandler:
    return ReplyHandler(HubLedger(hub.sessions))


def _read(reader: Callable[..., T], params: dict[str, str]) -> T:
    try:
        return reader(params, now=utcnow())
    except NotFromTwilio as exc:
        raise HubError(400, f"Not a callback the hub can read: {exc}.", "bad_request") from None


@router.post("/sms/inbound", response_class=Response, responses=TWIML_ANSWER)
async def inbound_sms(request: Request, hub: Hub) -> Response:
    """A text from a client: confirm, cancel, STOP/START/HELP, or the Messages inbox."""
    reply = _read(inbound_text, await verified_form(request, hub))
    outcome = await run_in_threadpool(_handler(hub).handle, reply)
    twiml = MessagingResponse()
    if outcome.answer and outcome.recorded:
        twiml.message(outcome.answer)
    return Response(str(twiml), media_type=TWIML)


@router.post("/voice/gather", response_class=Response, responses=TWIML_ANSWER)
async def voice_key(request: Request, hub: Hub) -> Response:
    """A key pressed during a reminder call (1 confirm, 2 cancel): answered with what was done."""
    reply = _read(key_press, await verified_form(request, hub))
    outcome = await run_in_threadpool(_handler(hub).handle, reply)
    answer: Answer = {"confirmed": "confirmed", "cancelled": "cancelled"}.get(  # type: ignore[assignment]
        outcome.action, {"too_late": "too_late", "unmatched": "unknown_call"}.get(outcome.problem, "not_understood"))
    phone = await run_in_threadpool(_practice_phone, hub)
    return Response(answer_twiml(answer, practice_phone=phone), media_type=TWIML)


def _practice_phone(hub: HubContext) -> str:
    with hub.sessions() as session:
        return practice_of(session).phone


@router.post("/sms/status", status_code=204, response_class=Response, responses=REFUSALS)
@router.post("/voice/status", status_code=204, response_class=Response, responses=REFUSALS)
async def delivery_status(request: Request, hub: Hub) -> Response:
    """A delivery report for a text or a call the hub sent."""
    report = _read(delivery_report, await verified_form(request, hub))
    await run_in_threadpool(_handler(hub).delivery, report)
    return Response(status_code=204)
