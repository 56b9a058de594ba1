"""Building the exact message for one appointment: the text, the e-mail's subject, HTML and invitation.

Preview and sending both call :func:`build`, so what the administrator sees is what leaves.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from mentalspace_desktop.domain.reminders.outgoing import ChannelName, Outgoing
from mentalspace_desktop.domain.reminders.templates import TemplateError, TemplateKind, placeholders_in, render
from mentalspace_desktop.integrations.reminder_email import Invitation, html_from_text, invitation_ics
from mentalspace_desktop.services.reminders.facts import Context, Templates


class NoTemplate(Exception):
    """No template (the practice's or built in) for this channel and kind."""


@dataclass(frozen=True)
class Built:
    subject: str
    text: str
    html: str = ""
    calendar: bytes | None = None
    calendar_method: str = ""


def build(
    ctx: Context,
    channel: ChannelName,
    kind: TemplateKind,
    templates: Templates,
    *,
    sequence: int | None = None,
    organizer_email: str = "",
    stamp: datetime | None = None,
    with_calendar: bool = True,
) -> Built:
    """The message ``kind`` for ``ctx`` by ``channel``; e-mail with its invitation at ``sequence``
    (``organizer_email``: the practice's sending address, which the invitation names as organizer)."""
    found = templates.find(ctx.language, channel, kind)
    if found is None:
        raise NoTemplate(f"There is no {kind.value} template for {channel}.")
    subject_t, body_t, allow_last = found
    values = ctx.values if allow_last else replace(ctx.values, last_name="")
    try:
        if "practice_phone" in placeholders_in(body_t + subject_t) and not values.practice_phone:
            raise NoTemplate("The practice's phone number is not set: add it in the practice settings.")
        text = render(body_t, values)
        subject = render(subject_t, values) if subject_t else ""
    except TemplateError as exc:
        raise NoTemplate(str(exc)) from None
    if channel != "email" or not with_calendar:
        return Built(subject, text)
    if not organizer_email:
        raise NoTemplate("E-mail has no sending address: enter it in the messaging settings.")
    method: Literal["REQUEST", "CANCEL"] = "CANCEL" if kind is TemplateKind.CANCELLED else "REQUEST"
    # The invitation's UID is the first appointment of a reschedule chain: one event in the client's
    # calendar, moved (SEQUENCE raised) rather than duplicated.
    invitation = Invitation(
        appointment_id=ctx.chain_id, sequence=sequence or 0, start=ctx.start_at, end=ctx.end_at,
        time_zone=ctx.client_zone,
        summary=f"Appointment with {ctx.values.provider}" + (f" ({ctx.values.practice_name})"
                                                             if ctx.values.practice_name else ""),
        organizer_email=organizer_email, organizer_name=ctx.values.practice_name,
        attendee_email=ctx.email, attendee_name=ctx.values.first_name,
        location="Online" if ctx.values.telehealth_link else ctx.values.location, url=ctx.values.telehealth_link)
    return Built(subject, text, html_from_text(text), invitation_ics(invitation, method, stamp=stamp), method)


def outgoing(key: str, channel: ChannelName, to: str, built: Built, status_callback: str) -> Outgoing:
    return Outgoing(key=key, channel=channel, to=to, text=built.text, subject=built.subject, html=built.html,
                    calendar=built.calendar, calendar_method=built.calendar_method,  # type: ignore[arg-type]
                    status_callback=status_callback if channel != "email" else "")
