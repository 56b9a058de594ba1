"""Text reminders through the real ``twilio`` client, pointed at a Twilio-speaking server on loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from mentalspace_desktop.domain.reminders.outgoing import Outgoing, SendFailed
from mentalspace_desktop.integrations.twilio_rest import (
    IDEMPOTENCY_HEADER,
    SMS_STATUS_PATH,
    TwilioSettings,
    cost_cents,
    idempotency_token,
)
from mentalspace_desktop.integrations.twilio_sms import TwilioSmsChannel
from tests.support.fake_twilio import FakeTwilio

CLIENT = "+14045550123"
PRACTICE = "+14045550100"


_made: list[TwilioSmsChannel] = []


@pytest.fixture(autouse=True)
def _close_channels() -> Iterator[None]:
    """Channels keep their connections open for the next reminder: close them after each test."""
    yield
    while _made:
        _made.pop().close()


def _channel(fake: FakeTwilio, **changes: object) -> TwilioSmsChannel:
    values: dict[str, object] = dict(account_sid=fake.account_sid, auth_token=fake.auth_token,
                                     from_number=PRACTICE, webhook_base="https://hub.riverside.example",
                                     api_base=fake.base_url, timeout=5.0)
    values.update(changes)
    _made.append(TwilioSmsChannel(TwilioSettings(**values)))  # type: ignore[arg-type]
    return _made[-1]


def _text(key: str = "appt-1|48h|sms", to: str = CLIENT, **changes: object) -> Outgoing:
    return Outgoing(key=key, channel="sms", to=to, text="Hi Ana, a reminder of your appointment Tue 9:00 AM. "
                    "Reply Y to confirm or C to cancel.", **changes)  # type: ignore[arg-type]


def test_sends_through_the_messages_api_with_callback_and_idempotency_token(fake_twilio: FakeTwilio) -> None:
    fake_twilio.price = "-0.00790"
    accepted = _channel(fake_twilio).send(_text())
    (got,) = fake_twilio.messages
    assert accepted.provider_id == got.sid and got.sid.startswith("SM")
    assert accepted.state == "queued" and accepted.cost_cents == 1
    assert got.form["To"] == CLIENT and got.form["From"] == PRACTICE
    assert got.form["Body"].startswith("Hi Ana")
    assert got.form["StatusCallback"] == "https://hub.riverside.example" + SMS_STATUS_PATH
    assert got.headers[IDEMPOTENCY_HEADER.lower()] == idempotency_token("appt-1|48h|sms")
    assert "appt-1" not in got.headers[IDEMPOTENCY_HEADER.lower()]  # nothing about the appointment leaks


def test_the_message_status_callback_wins_over_the_standard_one(fake_twilio: FakeTwilio) -> None:
    _channel(fake_twilio).send(_text(status_callback="https://hub.example/cb?x=1"))
    assert fake_twilio.messages[0].form["StatusCallback"] == "https://hub.example/cb?x=1"


def test_without_a_public_hub_address_no_callback_is_asked(fake_twilio: FakeTwilio) -> None:
    _channel(fake_twilio, webhook_base="").send(_text())
    assert "StatusCallback" not in fake_twilio.messages[0].form


def test_a_retry_with_the_same_key_is_not_a_second_message(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio)
    first = channel.send(_text())
    again = channel.send(_text())
    other = channel.send(_text(key="appt-1|2h|sms"))
    assert first.provider_id == again.provider_id != other.provider_id
    assert len(fake_twilio.messages) == 2


@pytest.mark.parametrize(("code", "words"), [(21211, "not a valid phone number"), (21614, "cannot receive text"),
                                             (21610, "opted out")])
def test_number_errors_are_permanent_with_their_code(fake_twilio: FakeTwilio, code: int, words: str) -> None:
    fake_twilio.fail_number("+15555550100", code)
    with pytest.raises(SendFailed) as caught:
        _channel(fake_twilio).send(_text(to="+15555550100"))
    assert caught.value.permanent and caught.value.code == str(code)
    assert words in caught.value.reason
    assert fake_twilio.messages == []


def test_other_client_errors_are_permanent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_number(CLIENT, 21612, status=400)
    with pytest.raises(SendFailed) as caught:
        _channel(fake_twilio).send(_text())
    assert caught.value.permanent and caught.value.code == "21612"


def test_wrong_credentials_are_permanent_and_say_where_to_look(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(SendFailed) as caught:
        _channel(fake_twilio, auth_token="not-the-token").send(_text())
    assert caught.value.permanent and caught.value.code == "20003"
    assert "messaging settings" in caught.value.reason


@pytest.mark.parametrize("status", [429, 500, 503])
def test_busy_or_failing_provider_is_transient_and_the_retry_goes_through_once(fake_twilio: FakeTwilio,
                                                                               status: int) -> None:
    fake_twilio.fail_next(status)
    channel = _channel(fake_twilio)
    with pytest.raises(SendFailed) as caught:
        channel.send(_text())
    assert not caught.value.permanent
    channel.send(_text())
    assert len(fake_twilio.messages) == 1


def test_a_timeout_is_transient_and_the_retry_is_recognised(fake_twilio: FakeTwilio) -> None:
    fake_twilio.delay = 1.0
    with pytest.raises(SendFailed) as caught:
        _channel(fake_twilio, timeout=0.3).send(_text())
    assert not caught.value.permanent and caught.value.code == "timeout"
    fake_twilio.delay = 0.0
    # The first request did reach Twilio: the retry carries the same token and creates nothing new.
    retry = _channel(fake_twilio).send(_text())
    assert len(fake_twilio.messages) == 1 and retry.provider_id == fake_twilio.messages[0].sid


def test_a_provider_that_cannot_be_reached_is_transient() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    channel = TwilioSmsChannel(TwilioSettings("AC" + "0" * 32, "token", PRACTICE, api_base=f"http://127.0.0.1:{port}",
                                              timeout=2.0))
    _made.append(channel)
    with pytest.raises(SendFailed) as caught:
        channel.send(_text())
    assert not caught.value.permanent and caught.value.code == "unreachable"


def test_refuses_what_cannot_be_sent_without_asking_twilio(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(SendFailed, match="No sending number"):
        _channel(fake_twilio, from_number="").send(_text())
    with pytest.raises(SendFailed, match="at most 1600"):
        _channel(fake_twilio).send(Outgoing("k", "sms", CLIENT, "x" * 1601))
    with pytest.raises(SendFailed, match="not set up"):
        _channel(fake_twilio, auth_token="").send(_text())
    assert fake_twilio.served == 0


def test_price_in_cents() -> None:
    assert cost_cents("-0.00790") == 1
    assert cost_cents("-0.0040") == 0
    assert cost_cents("-0.0250") == 3
    assert cost_cents(None) is None and cost_cents("n/a") is None


def test_a_kept_alive_connection_the_server_closed_is_replaced(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio)
    channel.send(_text(key="first"))
    assert fake_twilio.drop_idle_connections() == 1
    accepted = channel.send(_text(key="second"))
    assert [m.sid for m in fake_twilio.messages][-1] == accepted.provider_id
    assert len(fake_twilio.messages) == 2
