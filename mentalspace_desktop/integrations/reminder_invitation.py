"""The calendar invitation attached to a reminder e-mail (RFC 5545 / iTIP, RFC 5546).

METHOD:REQUEST with a stable UID per appointment (the first of a reschedule chain) and a SEQUENCE
raised on every change, so Google, Outlook and Apple calendars replace the event instead of adding a
second one; METHOD:CANCEL with the same UID and a higher SEQUENCE withdraws it. The summary names the
practice and the provider only: never the appointment type (often clinical) or anything about why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import icalendar

PRODID = "-//MentalSpace//Appointment reminders//EN"


@dataclass(frozen=True)
class Invitation:
    uid: str
    sequence: int
    method: Literal["REQUEST", "CANCEL"]
    start: datetime  # aware
    end: datetime
    summary: str
    location: str = ""
    url: str = ""
    organizer_email: str = ""
    organizer_name: str = ""
    attendee_email: str = ""


def invitation_bytes(inv: Invitation, *, stamp: datetime | None = None) -> bytes:
    """The ``.ics`` for ``inv`` (DTSTART/DTEND in UTC, which every calendar reads unambiguously)."""
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", inv.method)
    ev = icalendar.Event()
    ev.add("uid", inv.uid)
    ev.add("sequence", inv.sequence)
    ev.add("dtstamp", (stamp or datetime.now(UTC)).astimezone(UTC))
    ev.add("dtstart", inv.start.astimezone(UTC))
    ev.add("dtend", inv.end.astimezone(UTC))
    ev.add("summary", inv.summary)
    if inv.location:
        ev.add("location", inv.location)
    if inv.url:
        ev.add("url", inv.url)
    ev.add("status", "CANCELLED" if inv.method == "CANCEL" else "CONFIRMED")
    ev.add("class", "PRIVATE")
    if inv.organizer_email:
        organizer = icalendar.vCalAddress(f"mailto:{inv.organizer_email}")
        if inv.organizer_name:
            organizer.params["cn"] = icalendar.vText(inv.organizer_name)
        ev.add("organizer", organizer)
    if inv.attendee_email:
        attendee = icalendar.vCalAddress(f"mailto:{inv.attendee_email}")
        attendee.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        attendee.params["partstat"] = icalendar.vText("NEEDS-ACTION")
        attendee.params["rsvp"] = icalendar.vText("FALSE")
        ev.add("attendee", attendee)
    cal.add_component(ev)
    return bytes(cal.to_ical())
