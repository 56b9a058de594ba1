"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, with STARTTLS offered."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from mentalspace_desktop.hub.tls import self_signed
from mentalspace_desktop.integrations.smtp_mail import SmtpSettings


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    message: EmailMessage


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    """Recipient → the reply the server gives it (e.g. ``"550 5.1.1 No such mailbox"``)."""

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        msg = message_from_bytes(content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), msg))
        return "250 Message accepted"


@dataclass
class SmtpServer:
    host: str
    port: int
    cafile: str
    handler: _Handler

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def refuse(self, address: str, reply: str = "550 5.1.1 No such mailbox here") -> None:
        self.handler.refuse[address] = reply

    def settings(self, **changes: Any) -> SmtpSettings:
        values: dict[str, Any] = dict(host=self.host, port=self.port, sender="Riverside Counseling "
                                      "<frontdesk@riverside.example>", starttls=True, cafile=self.cafile,
                                      timeout=10.0)
        values.update(changes)
        return SmtpSettings(**values)


def start_smtp_server(tls_dir: Path) -> tuple[Controller, SmtpServer]:
    cert, key = self_signed(tls_dir)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(cert), str(key))
    handler = _Handler()
    with socket.socket() as probe:  # aiosmtpd checks it is up by connecting to the port it was given
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True)
    controller.start()
    return controller, SmtpServer("127.0.0.1", port, str(cert), handler)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    """A running SMTP server requiring STARTTLS, trusted through its own self-signed certificate."""
    controller, server = start_smtp_server(tmp_path / "smtp-tls")
    try:
        yield server
    finally:
        controller.stop()
