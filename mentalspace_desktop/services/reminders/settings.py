"""Reminder rules and templates: the administrator's screen (data, not code).

Only an administrator changes them (``Resource.ADMINISTRATION``, write); every role may read them (a
front desk sees why a reminder went when it did). Templates are validated before saving: unknown
placeholders, the last name where it is not allowed, and any of the practice's appointment type names
in the text are refused with every reason at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from mentalspace_desktop.domain.reminders.outgoing import ChannelName
from mentalspace_desktop.domain.reminders.rules import CHANNELS, Rule
from mentalspace_desktop.domain.reminders.templates import (
    PLACEHOLDERS,
    TemplateError,
    TemplateKind,
    Values,
    render,
    sms_segments,
    validate,
)
from mentalspace_desktop.domain.reminders.timing import QuietHours, TimingError
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.domain.scheduling.times import TimeError, parse_hhmm
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import ReminderSettingsDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.reminders.facts import Templates, practice_of, rule_from_row
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.reminder_models import ReminderRule, ReminderTemplate
from mentalspace_desktop.store.scheduling_models import AppointmentType, TherapyGroup
from mentalspace_desktop.store.types import utcnow

SAMPLE = Values(first_name="Jordan", last_name="Lee", day="Tuesday, March 10", time="10:00 AM",
                provider="Dr. Sam Patel", location="Midtown office, 12 Peachtree St", telehealth_link="",
                practice_name="Your practice", practice_phone="(404) 555-0100")


@dataclass(frozen=True)
class RuleInput:
    offsets_minutes: tuple[int, ...]
    channels: tuple[ChannelName, ...]
    type_id: str | None = None
    quiet_start: str = ""  # "21:00"; both empty: no quiet hours
    quiet_end: str = ""


@dataclass(frozen=True)
class RuleView:
    id: str
    type_id: str | None
    type_name: str  # "Every appointment type" for the practice's rule
    offsets_minutes: tuple[int, ...]
    channels: tuple[str, ...]
    quiet_start: str
    quiet_end: str


@dataclass(frozen=True)
class TemplateInput:
    language: str
    channel: ChannelName
    body: str
    kind: TemplateKind = TemplateKind.REMINDER
    subject: str = ""
    allow_last_name: bool = False


@dataclass(frozen=True)
class TemplateView:
    id: str
    language: str
    channel: str
    kind: str
    subject: str
    body: str
    allow_last_name: bool


@dataclass(frozen=True)
class Sample:
    subject: str
    text: str
    segments: int  # SMS parts (what the provider charges for); 0 for e-mail and voice


class ReminderSettingsService:
    def __init__(self, session: UserSession, *, now: Callable[[], datetime] = utcnow) -> None:
        self.session = session
        self.now = now

    def _require_admin(self) -> None:
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)

    # -- rules ---------------------------------------------------------------------------------

    def rules(self) -> list[RuleView]:
        """Every active rule: the practice's first, then per appointment type by name."""
        with self.session.store.read() as s:
            names = dict(s.execute(select(AppointmentType.id, AppointmentType.name)).all())
            rows = list(s.scalars(select(ReminderRule).where(ReminderRule.deleted.is_(False),
                                                             ReminderRule.active.is_(True))))
        views = [RuleView(r.id, r.type_id, names.get(r.type_id, "") if r.type_id else "Every appointment type",
                          rule_from_row(r).offsets_minutes, tuple(r.channels.split(",")), r.quiet_start or "",
                          r.quiet_end or "") for r in rows]
        return sorted(views, key=lambda v: (v.type_id is not None, v.type_name))

    def save_rule(self, data: RuleInput, *, rule_id: str | None = None) -> str:
        """Save the practice's rule (``type_id`` None) or a type's; one active rule per type."""
        self._require_admin()
        quiet = None
        if bool(data.quiet_start) != bool(data.quiet_end):
            raise ValidationError({"quiet": "Give both the start and the end of quiet hours, or neither."})
        try:
            if data.quiet_start:
                quiet = QuietHours(parse_hhmm(data.quiet_start), parse_hhmm(data.quiet_end))
            Rule(tuple(data.offsets_minutes), tuple(data.channels), quiet, data.type_id).check()
        except (TimingError, TimeError) as exc:
            raise ValidationError({"rule": str(exc)}, str(exc)) from None
        with self.session.store.write(self.session.actor.user_id) as s:
            if data.type_id is not None and s.get(AppointmentType, data.type_id) is None:
                raise NotFound("That appointment type no longer exists.")
            same = s.scalar(select(ReminderRule).where(
                ReminderRule.type_id.is_(None) if data.type_id is None else ReminderRule.type_id == data.type_id,
                ReminderRule.deleted.is_(False), ReminderRule.active.is_(True)))
            row = s.get(ReminderRule, rule_id) if rule_id else same
            if rule_id and row is None:
                raise NotFound("That reminder rule no longer exists.")
            if same is not None and row is not None and same.id != row.id:
                raise ValidationError({"type": "There is already a rule for this appointment type; edit that one."})
            if row is None:
                row = ReminderRule(active=True)
                s.add(row)
            row.type_id = data.type_id
            row.offsets = ",".join(str(m) for m in sorted(data.offsets_minutes, reverse=True))
            row.channels = ",".join(c for c in CHANNELS if c in data.channels)
            row.quiet_start, row.quiet_end = data.quiet_start or None, data.quiet_end or None
            row.active, row.deleted = True, False
            s.flush()
            audit.record(self.session, s, action="update", record_type="reminder_rule", record_id=row.id,
                         summary=f"{row.offsets} min before by {row.channels}")
            saved = row.id
        self.session.events.emit(ReminderSettingsDidChange())
        return saved

    def remove_rule(self, rule_id: str) -> None:
        self._remove(ReminderRule, rule_id, "That reminder rule no longer exists.")

    def _remove(self, model: type[ReminderRule] | type[ReminderTemplate], row_id: str, missing: str) -> None:
        self._require_admin()
        with self.session.store.write(self.session.actor.user_id) as s:
            row = s.get(model, row_id)
            if row is None or getattr(row, "deleted", True):
                raise NotFound(missing)
            row.deleted = True  # type: ignore[attr-defined]
            audit.record(self.session, s, action="delete", record_type=model.__tablename__, record_id=row_id,
                         summary="Removed")
        self.session.events.emit(ReminderSettingsDidChange())

    # -- templates -----------------------------------------------------------------------------

    def templates(self) -> list[TemplateView]:
        with self.session.store.read() as s:
            rows = s.scalars(select(ReminderTemplate).where(ReminderTemplate.deleted.is_(False))
                             .order_by(ReminderTemplate.language, ReminderTemplate.channel, ReminderTemplate.kind))
            return [TemplateView(t.id, t.language, t.channel, t.kind, t.subject, t.body, t.allow_last_name)
                    for t in rows]

    def effective_template(self, language: str, channel: ChannelName, kind: TemplateKind) -> tuple[str, str] | None:
        """(subject, body) a client in ``language`` would get: the practice's or the built-in one."""
        with self.session.store.read() as s:
            found = Templates.load(s).find(language, channel, kind)
        return (found[0], found[1]) if found else None

    def check_template(self, data: TemplateInput) -> None:
        """ValidationError listing every problem (for the editor, before saving)."""
        if data.channel not in CHANNELS:
            raise ValidationError({"channel": "Choose text message, e-mail or voice call."})
        with self.session.store.read() as s:
            clinical = list(s.scalars(select(AppointmentType.name).where(AppointmentType.deleted.is_(False))))
            # a group's name says what it treats ("Anxiety skills", "Grief support"): never in a reminder
            clinical += list(s.scalars(select(TherapyGroup.name).where(TherapyGroup.deleted.is_(False))))
        problems: list[str] = []
        for field, text in (("body", data.body), ("subject", data.subject)):
            if field == "subject" and not text:
                continue
            try:
                validate(text, channel=data.channel, allow_last_name=data.allow_last_name, clinical_names=clinical)
            except TemplateError as exc:
                problems.extend(p for p in exc.problems if not (field == "subject" and p == "The template is empty"))
        if data.channel == "email" and not data.subject.strip():
            problems.append("An e-mail needs a subject")
        if problems:
            raise ValidationError({"template": "; ".join(problems)}, "; ".join(problems))

    def save_template(self, data: TemplateInput, *, template_id: str | None = None) -> str:
        """Save the practice's words for one language, channel and kind (replacing any earlier ones)."""
        self._require_admin()
        language = data.language.strip() or "English"
        self.check_template(data)
        with self.session.store.write(self.session.actor.user_id) as s:
            row = s.get(ReminderTemplate, template_id) if template_id else s.scalar(select(ReminderTemplate).where(
                ReminderTemplate.language == language, ReminderTemplate.channel == data.channel,
                ReminderTemplate.kind == data.kind.value, ReminderTemplate.deleted.is_(False)))
            if template_id and row is None:
                raise NotFound("That template no longer exists.")
            if row is None:
                row = ReminderTemplate()
                s.add(row)
            row.language, row.channel, row.kind = language, data.channel, data.kind.value
            row.subject, row.body, row.allow_last_name = data.subject, data.body, data.allow_last_name
            row.active, row.deleted = True, False
            s.flush()
            audit.record(self.session, s, action="update", record_type="reminder_template", record_id=row.id,
                         summary=f"{language} {data.channel} {data.kind.value}")
            saved = row.id
        self.session.events.emit(ReminderSettingsDidChange())
        return saved

    def remove_template(self, template_id: str) -> None:
        """Remove the practice's words: the built-in template applies again."""
        self._remove(ReminderTemplate, template_id, "That template no longer exists.")

    @staticmethod
    def placeholders() -> dict[str, str]:
        """Each placeholder a template may use, with what it stands for (for the editor's help)."""
        return dict(PLACEHOLDERS)

    def sample(self, data: TemplateInput) -> Sample:
        """The template rendered with sample values, as the editor's live preview shows it (checked first)."""
        self.check_template(data)
        values = SAMPLE if data.allow_last_name else Values(**{**SAMPLE.__dict__, "last_name": ""})
        with self.session.store.read() as s:
            practice = practice_of(s)
        values = Values(**{**values.__dict__, "practice_name": practice.name or SAMPLE.practice_name,
                           "practice_phone": practice.phone or SAMPLE.practice_phone})
        text = render(data.body, values)
        return Sample(render(data.subject, values) if data.subject else "", text,
                      sms_segments(text) if data.channel == "sms" else 0)
