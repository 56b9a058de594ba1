"""The Twilio-speaking test server itself: it answers as Twilio does and signs what it sends as Twilio does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.support.fake_twilio import FakeTwilio


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[tuple[dict[str, str], dict[str, str]]]]]:
    """A bare HTTP endpoint that keeps every form and headers posted to it."""
    got: list[tuple[dict[str, str], dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            got.append((dict(parse_qsl(body, keep_blank_values=True)), {k.lower(): v for k, v in self.headers.items()}))
            self.send_response(204)
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/reminders/twilio/sms/status?r=1", got
    finally:
        server.shutdown()
        server.server_close()


def test_requires_basic_auth_and_answers_twilio_errors(fake_twilio: FakeTwilio) -> None:
    url = f"{fake_twilio.base_url}/2010-04-01/Accounts/{fake_twilio.account_sid}/Messages.json"
    form = {"To": "+14045550123", "From": "+14045550100", "Body": "hi"}
    refused = requests.post(url, data=form, auth=(fake_twilio.account_sid, "wrong"), timeout=5)
    assert refused.status_code == 401 and refused.json()["code"] == 20003
    made = requests.post(url, data=form, auth=(fake_twilio.account_sid, fake_twilio.auth_token), timeout=5)
    assert made.status_code == 201 and set(made.json()) >= {"sid", "status", "price", "to", "from", "body"}
    missing = requests.post(url, data={"To": "+14045550123", "From": "+1404"},
                            auth=(fake_twilio.account_sid, fake_twilio.auth_token), timeout=5)
    assert missing.status_code == 400 and missing.json()["code"] == 21602
    assert len(fake_twilio.messages) == 1 and fake_twilio.served == 3


def test_callbacks_are_signed_as_twilio_signs_them(fake_twilio: FakeTwilio, receiver: Any) -> None:
    url, got = receiver
    fake_twilio.send_status(url, "SM123", "delivered")
    fake_twilio.send_inbound(url, from_="+14045550123", to="+14045550100", body=" Yes! ")
    fake_twilio.send_key_press(url, "CA123", "2")
    fake_twilio.send_status(url, "SM123", "failed", error_code="30003", sign=False)
    validator = RequestValidator(fake_twilio.auth_token)
    forged = RequestValidator("another-token")
    for form, headers in got[:3]:
        assert validator.validate(url, form, headers["x-twilio-signature"])
        assert not forged.validate(url, form, headers["x-twilio-signature"])
        assert headers["i-twilio-idempotency-token"]
    assert got[0][0]["MessageStatus"] == "delivered" and got[1][0]["Body"] == " Yes! "
    assert got[2][0]["Digits"] == "2" and got[2][0]["CallSid"] == "CA123"
    assert "x-twilio-signature" not in got[3][1] and got[3][0]["ErrorCode"] == "30003"
    # A changed field no longer matches the signature.
    tampered = dict(got[0][0], MessageStatus="failed")
    assert not validator.validate(url, tampered, got[0][1]["x-twilio-signature"])
