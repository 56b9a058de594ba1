"""Note types and their templates: the defaults from ``resources/note_templates.json``, versions
administrators add, and the active version new notes are written with."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.charting.templates import Template, TemplateError, parse_fields, parse_template
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_defaults import default_templates
from mentalspace_desktop.store.chart_models import NoteTemplate


def newest_templates(s: Session) -> list[NoteTemplate]:
    """The newest version of each note type (the one new notes use)."""
    newest = (select(NoteTemplate.note_type, func.max(NoteTemplate.version).label("v"))
              .where(NoteTemplate.deleted.is_(False)).group_by(NoteTemplate.note_type).subquery())
    return list(s.scalars(select(NoteTemplate).join(newest, (NoteTemplate.note_type == newest.c.note_type)
                                                     & (NoteTemplate.version == newest.c.v))))


def _as_template(row: NoteTemplate) -> Template:
    return parse_template(row.note_type, row.name, row.version, row.fields)


@dataclass(frozen=True)
class NoteType:
    note_type: str
    name: str
    version: int


class TemplateService:
    def __init__(self, session: UserSession) -> None:
        self.session = session

    def note_types(self, *, include_addendum: bool = False) -> list[NoteType]:
        """The note types a clinician can start, in the order of the defaults, then any added."""
        order = {item["note_type"]: i for i, item in enumerate(default_templates())}
        with self.session.store.read() as s:
            rows = newest_templates(s)
        types = [NoteType(r.note_type, r.name, r.version) for r in rows
                 if r.active and (include_addendum or r.note_type != "addendum")]
        return sorted(types, key=lambda t: (order.get(t.note_type, 99), t.name))

    def active(self, note_type: str) -> tuple[str, Template]:
        with self.session.store.read() as s:
            return active_template(s, note_type)

    def save_version(self, note_type: str, name: str, fields_json: str) -> int:
        """A new version of a template (or a new note type); earlier notes keep the version they used.

        Versions are only ever added (never updated), so two administrators saving offline both
        keep their version; the higher number is the one new notes use.
        """
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        note_type = note_type.strip().lower()
        if not note_type or len(note_type) > 20 or not note_type.replace("_", "").isalnum():
            raise ValidationError({"note_type": "A note type is a short key of letters, digits and underscores."})
        if not name.strip():
            raise ValidationError({"name": "Give the note type a name."})
        try:
            fields = parse_fields(json.loads(fields_json))
        except (TemplateError, json.JSONDecodeError, TypeError, AttributeError) as exc:
            raise ValidationError({"fields": str(exc)}, f"The template was not saved: {exc}") from None
        with self.session.store.write(self.session.actor.user_id) as s:
            version = int(s.scalar(select(func.max(NoteTemplate.version))
                                   .where(NoteTemplate.note_type == note_type)) or 0) + 1
            row = NoteTemplate(note_type=note_type, name=name.strip(), version=version, active=True,
                               fields=Template(note_type, name, version, fields).to_json())
            s.add(row)
            s.flush()
            audit.record(self.session, s, action="template_saved", record_type="note_template",
                         record_id=row.id, summary=f"{name.strip()} version {version}")
        return version


def active_template(s: Session, note_type: str) -> tuple[str, Template]:
    row = s.scalars(select(NoteTemplate).where(NoteTemplate.note_type == note_type,
                                               NoteTemplate.deleted.is_(False))
                    .order_by(NoteTemplate.version.desc())).first()
    if row is None or not row.active:
        raise NotFound(f"There is no “{note_type}” note type.")
    return row.id, _as_template(row)


def template_by_id(s: Session, template_id: str | None, note_type: str) -> Template:
    row = s.get(NoteTemplate, template_id) if template_id else None
    if row is None:
        return active_template(s, note_type)[1]
    return _as_template(row)
