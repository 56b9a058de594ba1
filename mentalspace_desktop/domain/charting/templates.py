"""Note templates as data: typed fields, validated, versioned.

A template is a list of fields (key, label, kind, required, choices). Administrators edit templates
and add note types; each save is a new version, and a note keeps the version it was written with.
A note's content is a mapping of field key to text; a key the template does not know is refused
rather than silently kept or dropped.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    LINE = "line"  # one line of text
    TEXT = "text"  # free text, several paragraphs
    CHOICE = "choice"  # one of ``choices``


class TemplateError(ValueError):
    """A template or a note's content that does not fit its template; the message says why."""


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: FieldKind = FieldKind.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Template:
    note_type: str
    name: str
    version: int
    fields: tuple[FieldSpec, ...]

    def field(self, key: str) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise TemplateError(f"The {self.name} template has no field “{key}”.")

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(f.key for f in self.fields)

    def to_json(self) -> str:
        return json.dumps([_field_dict(f) for f in self.fields], ensure_ascii=False)


_FIELD_KEYS = {"key", "label", "kind", "required", "choices", "hint"}


def _field_dict(f: FieldSpec) -> dict[str, Any]:
    d: dict[str, Any] = {"key": f.key, "label": f.label, "kind": f.kind.value}
    if f.required:
        d["required"] = True
    if f.choices:
        d["choices"] = list(f.choices)
    if f.hint:
        d["hint"] = f.hint
    return d


def parse_fields(raw: Sequence[Mapping[str, Any]]) -> tuple[FieldSpec, ...]:
    """Fields from their JSON form; anything unknown or inconsistent is refused with its reason."""
    if not raw:
        raise TemplateError("A template needs at least one field.")
    seen: set[str] = set()
    out = []
    for i, item in enumerate(raw, 1):
        unknown = set(item) - _FIELD_KEYS
        if unknown:
            raise TemplateError(f"Field {i} has unknown setting(s): {', '.join(sorted(unknown))}.")
        key = str(item.get("key", "")).strip()
        if not key or not key.replace("_", "").isalnum() or not key[0].isalpha():
            raise TemplateError(f"Field {i} needs a key of letters, digits and underscores.")
        if key in seen:
            raise TemplateError(f"Two fields share the key “{key}”.")
        seen.add(key)
        label = str(item.get("label", "")).strip()
        if not label:
            raise TemplateError(f"Field “{key}” needs a label.")
        try:
            kind = FieldKind(item.get("kind", "text"))
        except ValueError:
            raise TemplateError(f"Field “{key}” has an unknown kind “{item.get('kind')}”.") from None
        choices = tuple(str(c) for c in item.get("choices", ()))
        if kind is FieldKind.CHOICE and len(choices) < 2:
            raise TemplateError(f"Field “{key}” is a choice and needs at least two choices.")
        out.append(FieldSpec(key, label, kind, bool(item.get("required", False)), choices,
                             str(item.get("hint", ""))))
    return tuple(out)


def parse_template(note_type: str, name: str, version: int, fields_json: str) -> Template:
    try:
        raw = json.loads(fields_json)
    except json.JSONDecodeError as exc:
        raise TemplateError(f"The template is not valid JSON ({exc.msg}).") from None
    if not isinstance(raw, list):
        raise TemplateError("A template is a list of fields.")
    return Template(note_type, name, version, parse_fields(raw))


def check_content(template: Template, content: Mapping[str, str]) -> dict[str, str]:
    """The content as stored (every template field, text as typed); an unknown field is refused."""
    unknown = [k for k in content if k not in template.keys]
    if unknown:
        raise TemplateError(f"The {template.name} template has no field(s): {', '.join(sorted(unknown))}.")
    out = {}
    for f in template.fields:
        value = content.get(f.key, "")
        if f.kind is FieldKind.CHOICE and value and value not in f.choices:
            raise TemplateError(f"“{value}” is not one of the choices for {f.label}.")
        out[f.key] = value
    return out


def missing_required(template: Template, content: Mapping[str, str]) -> list[str]:
    """Labels of required fields left empty: a note cannot be signed with these blank."""
    return [f.label for f in template.fields if f.required and not content.get(f.key, "").strip()]


def render_text(template: Template, content: Mapping[str, str]) -> str:
    """The note as plain text, field by field, for export and previews."""
    parts = []
    for f in template.fields:
        value = content.get(f.key, "").strip()
        if value:
            parts.append(f"{f.label}\n{value}")
    return "\n\n".join(parts)
