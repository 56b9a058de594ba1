"""E-mail reminders: a text and an HTML part, and the appointment as a calendar invitation.

The invitation is an iTIP message (RFC 5546) carried the way iMIP (RFC 6047) and the big calendars
expect it:

- ``METHOD:REQUEST`` (``CANCEL`` when the appointment is withdrawn) both in the VCALENDAR and in the
  part's ``Content-Type: text/calendar; method=…`` — Outlook treats the part as an invitation only
  when the two agree.
- The calendar part sits in the ``multipart/alternative`` beside the text and HTML (where Outlook and
  Gmail look for it) and again as an ``.ics`` attachment (where Apple Mail and others look).
- A stable ``UID`` per appointment and a ``SEQUENCE`` raised on every reschedule: a calendar replaces
  the event it already has instead of adding a second one; a CANCEL with the same UID removes it.
- ``ORGANIZER`` (the practice, with its name) and ``ATTENDEE`` (the client's address: Google shows
  the invitation only to an attendee listed in it) with ``RSVP=FALSE`` — the client answers by text
  or phone, not by a calendar reply the practice would never read.
- ``DTSTART``/``DTEND`` in the practice's zone with its ``VTIMEZONE`` (Apple and Outlook need the
  zone's definition, not only its name), so the time is right on both sides of a daylight-saving
  change.

The summary is "Appointment with <provider's display name>": no appointment type, no diagnosis. The
HTML part is the text, escaped, unless the reminder service rendered its own (escaped) HTML.
"""

from __future__ import annotations

import hashlib
import html
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Literal
from zoneinfo import ZoneInfo

import icalendar

from mentalspace_desktop.domain.reminders.outgoing import Accepted, ChannelName, Outgoing, SendFailed
from mentalspace_desktop.integrations.icalendar_io import PRODID, IcsError, IcsEvent, vevent
from mentalspace_desktop.integrations.smtp_mail import MailError, SmtpSettings, send_message

Method = Literal["REQUEST", "CANCEL"]
UID_DOMAIN = "reminders.mentalspace"


def invitation_uid(appointment_id: str) -> str:
    """The appointment's UID in every invitation about it (never changes, whatever is rescheduled)."""
    return f"{appointment_id}@{UID_DOMAIN}"


@dataclass(frozen=True)
class Invitation:
    """One appointment as the client's calendar should hold it."""

    appointment_id: str
    sequence: int
    """0 for the first invitation, raised by one on every reschedule (and for the cancellation)."""
    start: datetime  # aware
    end: datetime
    time_zone: str
    """The practice's IANA zone: DTSTART/DTEND are written in it, with its VTIMEZONE."""
    summary: str
    organizer_email: str
    organizer_name: str
    attendee_email: str
    attendee_name: str = ""
    location: str = ""
    description: str = ""
    url: str = ""
    """A telehealth link."""


def _address(email: str, name: str, **params: str) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{email}")
    if name:
        address.params["CN"] = name
    for key, value in params.items():
        address.params[key.replace("_", "-").upper()] = value
    return address


def invitation_ics(invitation: Invitation, method: Method, *, stamp: datetime | None = None) -> bytes:
    """The VCALENDAR of ``invitation`` as an iTIP ``REQUEST`` or ``CANCEL``."""
    if invitation.start.tzinfo is None or invitation.end.tzinfo is None:
        raise IcsError("An invitation needs times with their time zone.")
    zone = ZoneInfo(invitation.time_zone)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", method)
    event = vevent(IcsEvent(invitation_uid(invitation.appointment_id), invitation.start, invitation.end,
                            invitation.summary, invitation.location, invitation.description, invitation.url,
                            cancelled=method == "CANCEL", private=True),
                   stamp or datetime.now(UTC), zone)
    event.add("sequence", invitation.sequence)
    event.add("organizer", _address(invitation.organizer_email, invitation.organizer_name))
    event.add("attendee", _address(invitation.attendee_email, invitation.attendee_name, cutype="INDIVIDUAL",
                                   role="REQ-PARTICIPANT", partstat="NEEDS-ACTION", rsvp="FALSE"))
    cal.add_component(event)
    # Only the years around the appointment: a VTIMEZONE from 1970 on is kilobytes of RDATEs.
    cal.add_missing_timezones(first_date=(invitation.start - timedelta(days=366)).date(),
                              last_date=(invitation.end + timedelta(days=366)).date())
    return bytes(cal.to_ical())


def html_from_text(text: str) -> str:
    """The text part as a small HTML document, every character of it escaped."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    body = "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"></head>'
            f'<body style="font-family: sans-serif; font-size: 15px; line-height: 1.5">{body}</body></html>')


def message_id(key: str, sender: str) -> str:
    """The same Message-ID for every attempt at one reminder: a retry after an ambiguous failure is
    recognised as a duplicate by the mail systems that check (Gmail does)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or UID_DOMAIN
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(message: Outgoing, *, sender: str) -> EmailMessage:
    """The e-mail for ``message``: text and HTML, and its calendar invitation when it has one."""
    if not message.to or "@" not in message.to:
        raise SendFailed(f"{message.to or 'The client'} is not an e-mail address.", permanent=True,
                         code="invalid_address")
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to
    email["Subject"] = message.subject or "Appointment reminder"
    email["Date"] = formatdate(localtime=False, usegmt=True)
    email["Message-ID"] = message_id(message.key, sender)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies to a reminder
    email.set_content(message.text)
    email.add_alternative(message.html or html_from_text(message.text), subtype="html")
    if message.calendar is not None:
        method = message.calendar_method or "REQUEST"
        # In the alternative (Outlook, Gmail) …
        email.add_alternative(message.calendar, maintype="text", subtype="calendar",
                              params={"method": method, "charset": "utf-8"})
        # … and as a file (Apple Mail, and any client that shows only attachments).
        email.add_attachment(message.calendar, maintype="application", subtype="ics",
                             filename="cancelled.ics" if method == "CANCEL" else "appointment.ics")
    return email


class EmailChannel:
    """Sends reminders over the practice's SMTP server (``smtp_mail.send_message``)."""

    name: ChannelName = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Outgoing) -> Accepted:
        if message.channel != "email":
            raise ValueError(f"the e-mail channel was given a {message.channel} message")
        if not self.settings.sender:
            raise SendFailed("The e-mail settings have no sender address.", permanent=True, code="not_configured")
        email = build_message(message, sender=self.settings.sender)
        try:
            send_message(self.settings, email)
        except MailError as exc:
            raise SendFailed(str(exc), permanent=exc.permanent,
                             code=str(exc.code) if exc.code is not None else None) from exc
        return Accepted(provider_id=str(email["Message-ID"]), state="sent")


def sender_address(name: str, email: str) -> str:
    """``"Riverside Counseling <frontdesk@riverside.example>"``, quoted where the name needs it."""
    return formataddr((name, email)) if name else email
