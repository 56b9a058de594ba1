"""Twilio's callbacks as the local Twilio server sends them: signatures checked, forms read into the seam."""

from __future__ import annotations

import pytest

from mentalspace_desktop.integrations.twilio_webhooks import (
    NotFromTwilio,
    delivery_report,
    inbound_text,
    is_from_twilio,
    key_press,
)
from tests.support.fake_twilio import FakeTwilio

URL = "https://hub.riverside.example/v1/reminders/twilio/sms/status"


def test_signatures_are_checked_against_url_and_every_field() -> None:
    fake = FakeTwilio()
    form = fake.status_params("SM1", "delivered")
    signature = fake.signature(URL, form)
    assert is_from_twilio(fake.auth_token, URL, form, signature)
    assert not is_from_twilio(fake.auth_token, URL, form, None)
    assert not is_from_twilio(fake.auth_token, URL, form, fake.signature(URL, form, token="f" * 32))
    assert not is_from_twilio(fake.auth_token, URL, {**form, "MessageStatus": "failed"}, signature)
    assert not is_from_twilio(fake.auth_token, URL + "?replayed=1", form, signature)
    assert not is_from_twilio("", URL, form, signature)


@pytest.mark.parametrize(("status", "state"), [("queued", "queued"), ("sent", "sent"), ("delivered", "delivered"),
                                               ("undelivered", "undelivered"), ("failed", "failed")])
def test_message_status(status: str, state: str) -> None:
    report = delivery_report(FakeTwilio().status_params("SM1", status, error_code="30003" if status == "failed"
                                                         else None))
    assert report.provider_id == "SM1" and report.state == state
    assert report.error_code == ("30003" if status == "failed" else None)


@pytest.mark.parametrize(("status", "state"), [("completed", "answered"), ("no-answer", "no_answer"),
                                               ("busy", "no_answer"), ("failed", "failed")])
def test_call_status(status: str, state: str) -> None:
    report = delivery_report(FakeTwilio().call_status_params("CA1", status))
    assert report.provider_id == "CA1" and report.state == state


def test_inbound_text_and_key_press() -> None:
    fake = FakeTwilio()
    reply = inbound_text(fake.inbound_params(from_="+14045550123", to="+14045550100", body=" yes! "))
    assert (reply.channel, reply.from_number, reply.to_number, reply.body) == ("sms", "+14045550123",
                                                                               "+14045550100", " yes! ")
    assert reply.provider_id.startswith("SM")
    form = {**fake.key_press_params("CA9", "2"), "From": "+14045550100", "To": "+14045550123"}
    pressed = key_press(form)
    assert (pressed.channel, pressed.body, pressed.call_id) == ("voice", "2", "CA9")
    assert pressed.from_number == "+14045550123" and pressed.to_number == "+14045550100"  # the client pressed


def test_a_form_that_is_no_callback_is_refused() -> None:
    with pytest.raises(NotFromTwilio):
        delivery_report({"MessageSid": "SM1", "MessageStatus": "exploded"})
    with pytest.raises(NotFromTwilio):
        inbound_text({"Body": "hi"})
