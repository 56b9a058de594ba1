"""What the reminder screens need beyond the engine's services: a template's problems by field, and
offsets written the way an administrator says them ("48 h, 2 h").

Kept apart from ``settings.py`` (the engine's own module) so the screens can grow without touching it.
"""

from __future__ import annotations

import re
from dataclasses import replace

from sqlalchemy import select

from mentalspace_desktop.domain.reminders.timing import describe_offset
from mentalspace_desktop.errors import ValidationError
from mentalspace_desktop.services.reminders.desk import HistoryItem, ReminderDeskService
from mentalspace_desktop.services.reminders.facts import chain_roots
from mentalspace_desktop.services.reminders.settings import ReminderSettingsService, TemplateInput
from mentalspace_desktop.store.reminder_models import InboundMessage, ReminderMessage

_SUBJECT_NEEDED = "An e-mail needs a subject"
_UNITS = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "h": 60, "hr": 60, "hrs": 60, "hour": 60,
          "hours": 60, "d": 1440, "day": 1440, "days": 1440}
_PART = re.compile(r"^\s*(\d+)\s*([a-z]*)\s*$")


def _problems(service: ReminderSettingsService, data: TemplateInput) -> list[str]:
    try:
        service.check_template(data)
    except ValidationError as exc:
        return [p.strip() for p in exc.message.split(";") if p.strip()]
    return []


def template_problems(service: ReminderSettingsService, data: TemplateInput) -> dict[str, list[str]]:
    """``{"body": [...], "subject": [...]}``: the service's own check, each problem under the field that
    has it, so the editor can show it beside that field (empty lists: the template can be saved)."""
    everything = _problems(service, data)
    if not everything:
        return {"body": [], "subject": []}
    body = [p for p in _problems(service, replace(data, subject="")) if p != _SUBJECT_NEEDED]
    subject = [p for p in everything if p not in body]
    return {"body": body, "subject": subject}


def parse_offsets(text: str) -> tuple[int, ...]:
    """"48 h, 2 h" → (2880, 120): minutes before the appointment, largest first. A bare number is
    hours. ValidationError names the part it could not read."""
    found: list[int] = []
    for part in (p for p in re.split(r"[,;]", text.lower()) if p.strip()):
        m = _PART.match(part)
        unit = m.group(2) if m else ""
        if m is None or (unit and unit not in _UNITS):
            raise ValidationError({"offsets": f"“{part.strip()}” is not a time before the appointment; "
                                              "write e.g. 48 h, 2 h or 1 day."})
        found.append(int(m.group(1)) * _UNITS.get(unit or "h", 60))
    if not found:
        raise ValidationError({"offsets": "Give at least one time before the appointment, e.g. 48 h, 2 h."})
    return tuple(sorted(found, reverse=True))


def format_offsets(minutes: tuple[int, ...]) -> str:
    """(2880, 120) → "48 h, 2 h": what the rule editor shows (and reads back with :func:`parse_offsets`)."""
    def one(m: int) -> str:
        return f"{m // 60} h" if m % 60 == 0 else f"{m} min"

    return ", ".join(one(m) for m in sorted(minutes, reverse=True))


def describe_offsets(minutes: tuple[int, ...]) -> str:
    """(2880, 120) → "2 days and 2 hours before": the rules table's words."""
    words = [describe_offset(m) for m in sorted(minutes, reverse=True)]
    joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"{joined} before"


def appointment_history(desk: ReminderDeskService, appointment_id: str) -> list[HistoryItem]:
    """:meth:`ReminderDeskService.history` (which checks the user may read the appointment) and also
    the replies that answered one of its reminders without being read as about it ("Can I come at 4
    instead?"): the front desk sees them beside the reminder they answer."""
    items = desk.history(appointment_id)
    with desk.session.store.read() as s:
        chain = chain_roots(s, [appointment_id])[appointment_id]
        ids = list(s.scalars(select(ReminderMessage.id).where(ReminderMessage.chain_id == chain)))
        extra = list(s.scalars(select(InboundMessage).where(
            InboundMessage.reminder_message_id.in_(ids), InboundMessage.appointment_id.is_(None),
            InboundMessage.deleted.is_(False)))) if ids else []
    items += [HistoryItem(r.received_at, "in", r.channel, r.intent, r.action, r.body, r.reason or "", None,
                          r.needs_attention and r.handled_at is None) for r in extra]
    return sorted(items, key=lambda i: i.at, reverse=True)
