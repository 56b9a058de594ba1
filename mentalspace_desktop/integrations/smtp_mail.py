"""Sending e-mail over SMTP: the one transport for reminders and report e-mails.

The practice's own mail server (or its provider's relay) does the delivering; we speak SMTP with
STARTTLS to it and tell a refusal that will not change (a mailbox that does not exist, a message the
server will never accept) from trouble worth retrying (the server is down, busy, or times out).
Callers record which it was; nothing here retries or logs message contents.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    """The From address, e.g. ``"Riverside Counseling <frontdesk@riverside.example>"``."""
    starttls: bool = True
    """Upgrade the connection before sending anything; only a loopback relay may go without."""
    timeout: float = 20.0
    cafile: str | None = None
    """A certificate authority to trust besides the system's (a practice's own relay)."""


class MailError(Exception):
    """Sending failed; ``permanent`` says whether trying again can help."""

    def __init__(self, message: str, *, permanent: bool, code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.code = code


def _refusal(what: str, code: int, reply: bytes | str) -> MailError:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    # 5xx replies are final (RFC 5321 §4.2.1); 4xx are "try again later".
    return MailError(f"{what} ({code} {text.strip()[:200]})", permanent=500 <= code < 600, code=code)


def send_message(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand ``message`` to the server; raises :class:`MailError` saying what went wrong."""
    if not message["From"] and settings.sender:
        message["From"] = settings.sender
    if not message["From"]:
        raise MailError("The e-mail settings have no sender address.", permanent=True)
    if not settings.host:
        raise MailError("No e-mail server is set up.", permanent=True)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            smtp.ehlo()
            if settings.starttls:
                if not smtp.has_extn("starttls"):
                    raise MailError(
                        f"The e-mail server {settings.host} does not offer an encrypted connection "
                        "(STARTTLS); nothing was sent.", permanent=True)
                smtp.starttls(context=ssl.create_default_context(cafile=settings.cafile))
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password)
            refused = smtp.send_message(message)
            if refused:  # some recipients refused, others accepted: report the first refusal
                address, (code, reply) = next(iter(refused.items()))
                raise _refusal(f"The e-mail server refused {address}", code, reply)
    except MailError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise _refusal("The e-mail server did not accept the user name and password", exc.smtp_code,
                       exc.smtp_error) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        address, (code, reply) = next(iter(exc.recipients.items()))
        raise _refusal(f"The e-mail server refused {address}", code, reply) from exc
    except smtplib.SMTPResponseException as exc:
        raise _refusal("The e-mail server refused the message", exc.smtp_code, exc.smtp_error) from exc
    except ssl.SSLError as exc:
        raise MailError(f"The e-mail server's certificate could not be trusted: {exc.reason}",
                        permanent=True) from exc
    except (TimeoutError, OSError, smtplib.SMTPException) as exc:
        raise MailError(f"The e-mail server {settings.host}:{settings.port} could not be reached: {exc}",
                        permanent=False) from exc
