"""Voice reminders: the call placed through the ``twilio`` client, and the TwiML it reads."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest

from mentalspace_desktop.domain.reminders.outgoing import Outgoing, SendFailed
from mentalspace_desktop.integrations.twilio_rest import (
    IDEMPOTENCY_HEADER,
    VOICE_GATHER_PATH,
    VOICE_STATUS_PATH,
    TwilioSettings,
    idempotency_token,
)
from mentalspace_desktop.integrations.twilio_voice import TwilioVoiceChannel, answer_twiml, reading_twiml
from tests.support.fake_twilio import FakeTwilio

HUB = "https://hub.riverside.example"


_made: list[TwilioVoiceChannel] = []


@pytest.fixture(autouse=True)
def _close_channels() -> Iterator[None]:
    """Channels keep their connections open for the next reminder: close them after each test."""
    yield
    while _made:
        _made.pop().close()


def _channel(fake: FakeTwilio, webhook_base: str = HUB) -> TwilioVoiceChannel:
    _made.append(TwilioVoiceChannel(TwilioSettings(fake.account_sid, fake.auth_token, "+14045550100", webhook_base,
                                                   api_base=fake.base_url, timeout=5.0), practice_phone="+14045550100"))
    return _made[-1]


def _call(text: str = "Hello Ana. This is Riverside Counseling with a reminder of your appointment "
          "on Tuesday at 9 AM.") -> Outgoing:
    return Outgoing(key="appt-1|48h|voice", channel="voice", to="+14045550123", text=text)


def test_places_a_call_whose_twiml_reads_the_reminder_and_gathers_one_key(fake_twilio: FakeTwilio) -> None:
    accepted = _channel(fake_twilio).send(_call())
    (got,) = fake_twilio.calls
    assert accepted.provider_id == got.sid and got.sid.startswith("CA")
    assert got.form["StatusCallback"] == HUB + VOICE_STATUS_PATH
    assert got.multi["StatusCallbackEvent"] == ["answered", "completed"]
    assert got.headers[IDEMPOTENCY_HEADER.lower()] == idempotency_token("appt-1|48h|voice")
    root = ET.fromstring(got.form["Twiml"])
    gathers = root.findall("Gather")
    assert len(gathers) == 2  # read again when nothing was pressed
    for gather in gathers:
        assert gather.get("numDigits") == "1" and gather.get("method") == "POST"
        assert gather.get("action") == HUB + VOICE_GATHER_PATH
        spoken = " ".join(s.text or "" for s in gather.findall("Say"))
        assert "reminder of your appointment" in spoken and "press 1" in spoken and "press 2" in spoken
    assert root[-1].tag == "Hangup"


def test_the_same_reminder_is_one_call(fake_twilio: FakeTwilio) -> None:
    channel = _channel(fake_twilio)
    assert channel.send(_call()).provider_id == channel.send(_call()).provider_id
    assert len(fake_twilio.calls) == 1


def test_without_a_public_hub_the_call_reads_and_asks_to_call_back(fake_twilio: FakeTwilio) -> None:
    _channel(fake_twilio, webhook_base="").send(_call())
    root = ET.fromstring(fake_twilio.calls[0].form["Twiml"])
    assert root.find("Gather") is None
    assert "StatusCallback" not in fake_twilio.calls[0].form
    phone = root.find("Say/say-as")
    assert phone is not None and phone.get("interpret-as") == "telephone"


def test_spoken_text_is_escaped() -> None:
    twiml = reading_twiml("Hello Ann & Bo <Hangup/>", gather_url=HUB + VOICE_GATHER_PATH)
    root = ET.fromstring(twiml)
    assert root.findall(".//Hangup") == [root[-1]]  # only the one the document ends with
    assert "Hello Ann & Bo <Hangup/>" in [s.text for s in root.iter("Say")]


@pytest.mark.parametrize(("answer", "words"), [("confirmed", "is confirmed"), ("cancelled", "has been cancelled"),
                                               ("not_understood", "Nothing was changed"),
                                               ("too_late", "Nothing was changed")])
def test_answers_after_a_key_press(answer: str, words: str) -> None:
    root = ET.fromstring(answer_twiml(answer, practice_phone="+14045550100"))  # type: ignore[arg-type]
    spoken = " ".join(s.text or "" for s in root.iter("Say"))
    assert words in spoken and root[-1].tag == "Hangup"
    assert (root.find("Say/say-as") is None) == (answer == "confirmed")


def test_an_invalid_number_is_permanent(fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_number("+14045550123", 21211)
    with pytest.raises(SendFailed) as caught:
        _channel(fake_twilio).send(_call())
    assert caught.value.permanent and caught.value.code == "21211"


def test_a_reminder_too_long_for_one_call_is_refused_before_calling(fake_twilio: FakeTwilio) -> None:
    with pytest.raises(SendFailed, match="too long"):
        _channel(fake_twilio).send(_call("word " * 500))
    assert fake_twilio.served == 0
