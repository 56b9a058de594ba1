"""E-mail reminders against a real SMTP server on loopback: the invitation read back with icalendar."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest

from mentalspace_desktop.domain.reminders.outgoing import Outgoing, SendFailed
from mentalspace_desktop.integrations.reminder_email import (
    EmailChannel,
    Invitation,
    invitation_ics,
    invitation_uid,
)
from tests.support.smtp_server import SmtpServer

ZONE = "America/New_York"
TZ = ZoneInfo(ZONE)


def _invitation(sequence: int = 0, start: datetime | None = None) -> Invitation:
    start = start or datetime(2026, 3, 9, 9, 0, tzinfo=TZ)  # the day after the spring change
    return Invitation("0193a1c2-appt", sequence, start, start + timedelta(minutes=50), ZONE,
                      "Appointment with Dr. Rivera", "frontdesk@riverside.example", "Riverside Counseling",
                      "ana@example.org", "Ana", location="12 Peachtree St, Atlanta")


def _reminder(ics: bytes | None, method: str = "REQUEST", key: str = "appt|48h|email", to: str = "ana@example.org",
              text: str = "Hi Ana,\n\nSee you Monday at 9:00 AM <with Dr. Rivera>.") -> Outgoing:
    return Outgoing(key=key, channel="email", to=to, text=text, subject="Your appointment on Monday",
                    calendar=ics, calendar_method=method)  # type: ignore[arg-type]


def _calendar_parts(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if p.get_content_type() in ("text/calendar", "application/ics")]


def _event(part: EmailMessage) -> tuple[icalendar.Calendar, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_sends_text_html_and_an_invitation_calendars_accept(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.settings())
    accepted = channel.send(_reminder(invitation_ics(_invitation(), "REQUEST")))
    (got,) = smtp_server.received
    message = got.message
    assert got.recipients == ["ana@example.org"] and accepted.state == "sent"
    assert accepted.provider_id == message["Message-ID"]
    assert message.get_body(("plain",)).get_content().startswith("Hi Ana")
    html = message.get_body(("html",)).get_content()
    assert "&lt;with Dr. Rivera&gt;" in html and "<with" not in html  # escaped
    inline, attached = _calendar_parts(message)
    assert inline.get_content_type() == "text/calendar" and inline.get_param("method") == "REQUEST"
    assert attached.get_filename() == "appointment.ics"
    for part in (inline, attached):
        cal, event = _event(part)
        assert str(cal["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == invitation_uid("0193a1c2-appt")
        assert int(event["SEQUENCE"]) == 0
        start = event["DTSTART"]
        assert start.params["TZID"] == ZONE and start.dt == datetime(2026, 3, 9, 9, 0, tzinfo=TZ)
        assert start.dt.utcoffset() == timedelta(hours=-4)  # daylight time, after the change
        assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == [ZONE]
        assert str(event["ORGANIZER"]) == "mailto:frontdesk@riverside.example"
        assert event["ORGANIZER"].params["CN"] == "Riverside Counseling"
        assert str(event["ATTENDEE"]) == "mailto:ana@example.org"
        assert str(event["STATUS"]) == "CONFIRMED"


def test_a_reschedule_raises_sequence_and_keeps_uid_and_cancel_says_so(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.settings())
    moved = _invitation(1, datetime(2026, 3, 10, 14, 0, tzinfo=TZ))
    channel.send(_reminder(invitation_ics(_invitation(), "REQUEST"), key="a|48h|0"))
    channel.send(_reminder(invitation_ics(moved, "REQUEST"), key="a|48h|1"))
    channel.send(_reminder(invitation_ics(_invitation(2), "CANCEL"), method="CANCEL", key="a|cancel|2"))
    events = [_event(_calendar_parts(r.message)[0]) for r in smtp_server.received]
    assert {str(e["UID"]) for _, e in events} == {invitation_uid("0193a1c2-appt")}
    assert [int(e["SEQUENCE"]) for _, e in events] == [0, 1, 2]
    assert events[1][1]["DTSTART"].dt == datetime(2026, 3, 10, 14, 0, tzinfo=TZ)
    cal, cancelled = events[2]
    assert str(cal["METHOD"]) == "CANCEL" and str(cancelled["STATUS"]) == "CANCELLED"
    assert _calendar_parts(smtp_server.received[2].message)[0].get_param("method") == "CANCEL"


def test_a_plain_reminder_has_no_calendar(smtp_server: SmtpServer) -> None:
    EmailChannel(smtp_server.settings()).send(_reminder(None))
    assert _calendar_parts(smtp_server.received[0].message) == []


def test_every_attempt_at_one_reminder_has_one_message_id(smtp_server: SmtpServer) -> None:
    channel = EmailChannel(smtp_server.settings())
    first = channel.send(_reminder(None))
    second = channel.send(_reminder(None))
    assert first.provider_id == second.provider_id
    assert channel.send(_reminder(None, key="other")).provider_id != first.provider_id


def test_a_refused_mailbox_is_permanent(smtp_server: SmtpServer) -> None:
    smtp_server.refuse("nobody@example.org")
    with pytest.raises(SendFailed) as caught:
        EmailChannel(smtp_server.settings()).send(_reminder(None, to="nobody@example.org"))
    assert caught.value.permanent and caught.value.code == "550"
    assert smtp_server.received == []


def test_a_server_that_is_down_is_transient(smtp_server: SmtpServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(SendFailed) as caught:
        EmailChannel(smtp_server.settings(port=port, timeout=2.0)).send(_reminder(None))
    assert not caught.value.permanent


def test_not_an_address_is_refused_before_connecting(smtp_server: SmtpServer) -> None:
    with pytest.raises(SendFailed) as caught:
        EmailChannel(smtp_server.settings()).send(_reminder(None, to="ana at example"))
    assert caught.value.permanent and smtp_server.received == []


def test_an_invitation_needs_zoned_times_that_end_after_they_start() -> None:
    from mentalspace_desktop.integrations.icalendar_io import IcsError

    naive = _invitation()
    with pytest.raises(IcsError):
        invitation_ics(Invitation(naive.appointment_id, 0, naive.start.replace(tzinfo=None), naive.end, ZONE,
                                  "x", "a@b.example", "A", "c@d.example"), "REQUEST")
    with pytest.raises(IcsError):
        invitation_ics(Invitation(naive.appointment_id, 0, naive.end, naive.start, ZONE,
                                  "x", "a@b.example", "A", "c@d.example"), "REQUEST")
