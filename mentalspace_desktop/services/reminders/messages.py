"""Building the exact message for one appointment: the text, the e-mail's subject, HTML and invitation.

Preview and sending both call :func:`build`, so what the administrator sees is what leaves.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime

from mentalspace_desktop.domain.reminders.keys import invitation_uid
from mentalspace_desktop.domain.reminders.outgoing import ChannelName, Outgoing
from mentalspace_desktop.domain.reminders.templates import TemplateError, TemplateKind, placeholders_in, render
from mentalspace_desktop.integrations.reminder_invitation import Invitation, invitation_bytes
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
) -> Built:
    """The message ``kind`` for ``ctx`` by ``channel``; e-mail with its invitation at ``sequence``."""
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
    if channel != "email":
        return Built(subject, text)
    method = "CANCEL" if kind is TemplateKind.CANCELLED else "REQUEST"
    invitation = Invitation(
        uid=invitation_uid(ctx.chain_id), sequence=sequence or 0, method=method,  # type: ignore[arg-type]
        start=ctx.start_at, end=ctx.end_at,
        summary=f"Appointment with {ctx.values.provider}" + (f" ({ctx.values.practice_name})"
                                                             if ctx.values.practice_name else ""),
        location=ctx.values.location if not ctx.values.telehealth_link else "Online",
        url=ctx.values.telehealth_link, organizer_email=organizer_email, organizer_name=ctx.values.practice_name,
        attendee_email=ctx.email)
    body_html = "<html><body>" + "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>"
                                         for p in text.split("\n\n")) + "</body></html>"
    return Built(subject, text, body_html, invitation_bytes(invitation, stamp=stamp), method)


def outgoing(key: str, channel: ChannelName, to: str, built: Built, status_callback: str) -> Outgoing:
    return Outgoing(key=key, channel=channel, to=to, text=built.text, subject=built.subject, html=built.html,
                    calendar=built.calendar, calendar_method=built.calendar_method,  # type: ignore[arg-type]
                    status_callback=status_callback if channel != "email" else "")
