"""The SMTP transport against a real server on loopback: encrypted, and honest about failures."""

from __future__ import annotations

import socket
from email.message import EmailMessage

import pytest

from mentalspace_desktop.integrations.smtp_mail import MailError, send_message
from tests.support.smtp_server import SmtpServer


def _message(to: str = "ana@example.org") -> EmailMessage:
    msg = EmailMessage()
    msg["To"] = to
    msg["Subject"] = "Your appointment on Tuesday"
    msg.set_content("See you Tuesday at 9:00 AM.")
    msg.add_alternative("<p>See you Tuesday at 9:00 AM.</p>", subtype="html")
    return msg


def test_sends_over_starttls_with_sender_from_settings(smtp_server: SmtpServer) -> None:
    send_message(smtp_server.settings(), _message())
    (got,) = smtp_server.received
    assert got.recipients == ["ana@example.org"]
    assert "frontdesk@riverside.example" in got.message["From"]
    assert got.message.get_body(("plain",)).get_content().strip() == "See you Tuesday at 9:00 AM."


def test_unknown_mailbox_is_a_permanent_refusal(smtp_server: SmtpServer) -> None:
    smtp_server.refuse("nobody@example.org")
    with pytest.raises(MailError) as caught:
        send_message(smtp_server.settings(), _message("nobody@example.org"))
    assert caught.value.permanent and caught.value.code == 550
    assert "nobody@example.org" in str(caught.value)
    assert smtp_server.received == []


def test_a_server_that_is_down_is_worth_retrying(smtp_server: SmtpServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        free = s.getsockname()[1]
    with pytest.raises(MailError) as caught:
        send_message(smtp_server.settings(port=free, timeout=3.0), _message())
    assert not caught.value.permanent
    assert "could not be reached" in str(caught.value)


def test_an_untrusted_certificate_sends_nothing(smtp_server: SmtpServer) -> None:
    with pytest.raises(MailError) as caught:
        send_message(smtp_server.settings(cafile=None), _message())
    assert caught.value.permanent and "certificate" in str(caught.value)
    assert smtp_server.received == []
