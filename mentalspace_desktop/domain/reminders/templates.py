"""Reminder templates: the words a practice writes, the placeholders they may use, and rendering.

A reminder leaves the practice, so it carries as little as possible. Templates may use only the
placeholders below; there is none for a diagnosis, a note or the appointment type, and a template
whose text names one of the practice's appointment types or therapy groups (their names are
often clinical: "Psychotherapy, 60 min", "Intake assessment", "Anxiety skills") is refused too. The
last name is available only when the template allows it (off by default). Placeholders are
``{first_name}``; a literal brace is ``{{`` or ``}}``.
Nothing else inside braces is accepted: no attribute or index look-ups, no format specifications.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from mentalspace_desktop.domain.reminders.outgoing import ChannelName


class TemplateKind(StrEnum):
    REMINDER = "reminder"
    """Before the appointment."""
    UPDATED = "updated"
    """The appointment moved after an e-mail invitation went (the invitation's update)."""
    CANCELLED = "cancelled"
    """The appointment was cancelled after an e-mail invitation went (METHOD:CANCEL)."""
    REPLY_CONFIRMED = "reply_confirmed"
    REPLY_CANCELLED = "reply_cancelled"
    HELP = "help"


PLACEHOLDERS: dict[str, str] = {
    "first_name": "The client's first name (preferred name when recorded)",
    "last_name": "The client's last name (only when the template allows it)",
    "day": "The appointment's day, e.g. Tuesday, March 10",
    "time": "The appointment's start time, e.g. 10:00 AM",
    "provider": "The provider's display name",
    "location": "The office's name and address, or \"online\" for telehealth",
    "telehealth_link": "The telehealth meeting link (empty for an office visit)",
    "where": "The office's address, or the telehealth link",
    "practice_name": "The practice's name",
    "practice_phone": "The practice's phone number",
}

FORBIDDEN_WORDS = ("diagnosis", "diagnoses", "note", "notes", "type", "appointment_type", "cpt", "icd",
                   "reason", "plan")
"""Placeholder names people may try that would carry clinical information; refused with a reason."""

_FIELD = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
MAX_LENGTH = {"sms": 640, "voice": 1000, "email": 5000}


class TemplateError(ValueError):
    """A template that cannot be saved; ``problems`` lists every reason, for the administrator."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _scan(text: str) -> tuple[list[str], list[str]]:
    """(placeholder names in order, problems with braces)."""
    names: list[str] = []
    problems: list[str] = []
    for match in _FIELD.finditer(text):
        if match.group(0) in ("{{", "}}"):
            continue
        if match.group(1) is None:
            if not problems:
                problems.append("A brace is not closed: write {{ or }} for a brace in the text")
            continue
        names.append(match.group(1))
    return names, problems


def placeholders_in(text: str) -> list[str]:
    """The placeholder names a template uses, in order; TemplateError for malformed braces."""
    names, problems = _scan(text)
    if problems:
        raise TemplateError(problems)
    return names


def validate(
    text: str,
    *,
    channel: ChannelName,
    allow_last_name: bool = False,
    clinical_names: Iterable[str] = (),
) -> None:
    """Raise :class:`TemplateError` listing every problem with ``text``; return if it may be saved."""
    problems: list[str] = []
    if not text.strip():
        problems.append("The template is empty")
    if len(text) > MAX_LENGTH[channel]:
        problems.append(f"The template is longer than {MAX_LENGTH[channel]} characters")
    names, brace_problems = _scan(text)
    problems.extend(brace_problems)
    for name in dict.fromkeys(names):
        bare = name.strip()
        if bare != name or not re.fullmatch(r"[a-z_]+", bare):
            problems.append(f"{{{name}}} is not a placeholder: use names like {{first_name}}")
        elif bare.lower() in FORBIDDEN_WORDS:
            problems.append(f"{{{name}}}: a reminder never includes a diagnosis, a note or the appointment type")
        elif bare not in PLACEHOLDERS:
            problems.append(f"{{{name}}} is not a placeholder (known: {', '.join(sorted(PLACEHOLDERS))})")
        elif bare == "last_name" and not allow_last_name:
            problems.append("{last_name} is off: allow the last name for this template first")
    lowered = text.lower()
    for clinical in clinical_names:
        word = clinical.strip().lower()
        if word and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", lowered):
            problems.append(f"The text names \"{clinical.strip()}\", an appointment type or group: leave it out")
    if problems:
        raise TemplateError(problems)


@dataclass(frozen=True)
class Values:
    """What a template may show about one appointment; nothing clinical can be put here."""

    first_name: str
    day: str
    time: str
    provider: str
    location: str
    telehealth_link: str
    practice_name: str
    practice_phone: str
    last_name: str = ""

    @property
    def where(self) -> str:
        return self.telehealth_link or self.location


def render(text: str, values: Values) -> str:
    """The exact text a template gives for ``values`` (preview and sending use this one function)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        name = match.group(1)
        if name is None or name not in PLACEHOLDERS:
            raise TemplateError([f"{token} is not a placeholder"])
        return str(getattr(values, name))

    return _FIELD.sub(replace, text)


def sms_segments(text: str) -> int:
    """How many SMS parts a text takes (what the provider charges for): GSM-7 160/153, else 70/67."""
    gsm = all(ord(c) < 128 and c not in "`^{}\\[]~|" for c in text)
    single, multi = (160, 153) if gsm else (70, 67)
    if len(text) <= single:
        return 1
    return -(-len(text) // multi)


DEFAULTS: dict[tuple[str, ChannelName, TemplateKind], tuple[str, str]] = {
    # (language, channel, kind): (subject, body). Used when the practice has not written its own.
    ("English", "sms", TemplateKind.REMINDER): (
        "", "Hi {first_name}, this is a reminder of your appointment with {provider} on {day} at {time} "
        "({where}). Reply Y to confirm or C to cancel. Questions: {practice_phone}. Reply STOP to opt out."),
    ("English", "voice", TemplateKind.REMINDER): (
        "", "Hello {first_name}. This is {practice_name} reminding you of your appointment with {provider} "
        "on {day} at {time}."),
    ("English", "email", TemplateKind.REMINDER): (
        "Your appointment on {day} at {time}",
        "Hello {first_name},\n\nThis is a reminder of your appointment with {provider} on {day} at {time}.\n"
        "Where: {where}\n\nTo change or cancel, call {practice_phone}.\n\n{practice_name}"),
    ("English", "email", TemplateKind.UPDATED): (
        "Your appointment has moved to {day} at {time}",
        "Hello {first_name},\n\nYour appointment with {provider} is now on {day} at {time}.\nWhere: {where}\n\n"
        "The calendar invitation attached replaces the earlier one. Questions: {practice_phone}.\n\n"
        "{practice_name}"),
    ("English", "email", TemplateKind.CANCELLED): (
        "Your appointment on {day} at {time} is cancelled",
        "Hello {first_name},\n\nYour appointment with {provider} on {day} at {time} is cancelled.\n"
        "To book again, call {practice_phone}.\n\n{practice_name}"),
    ("English", "sms", TemplateKind.REPLY_CONFIRMED): (
        "", "Thank you, {first_name}: your appointment on {day} at {time} is confirmed."),
    ("English", "sms", TemplateKind.REPLY_CANCELLED): (
        "", "Your appointment on {day} at {time} is cancelled. To book again call {practice_phone}."),
    ("English", "sms", TemplateKind.HELP): (
        "", "{practice_name} appointment reminders. Call {practice_phone} for help. Reply STOP to opt out."),
    ("Spanish", "sms", TemplateKind.REMINDER): (
        "", "Hola {first_name}, le recordamos su cita con {provider} el {day} a las {time} ({where}). "
        "Responda Y para confirmar o C para cancelar. Preguntas: {practice_phone}. Responda STOP para no "
        "recibir mensajes."),
    ("Spanish", "voice", TemplateKind.REMINDER): (
        "", "Hola {first_name}. Le llama {practice_name} para recordarle su cita con {provider} el {day} "
        "a las {time}."),
    ("Spanish", "email", TemplateKind.REMINDER): (
        "Su cita el {day} a las {time}",
        "Hola {first_name}:\n\nLe recordamos su cita con {provider} el {day} a las {time}.\nLugar: {where}\n\n"
        "Para cambiarla o cancelarla, llame al {practice_phone}.\n\n{practice_name}"),
}


def default_template(language: str, channel: ChannelName, kind: TemplateKind) -> tuple[str, str] | None:
    """The built-in (subject, body) in ``language``, falling back to English; None if there is none."""
    return DEFAULTS.get((language, channel, kind)) or DEFAULTS.get(("English", channel, kind))
