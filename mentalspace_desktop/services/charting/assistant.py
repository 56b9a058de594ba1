"""The drafting assistant: turns a clinician's session bullet points into a draft for the chosen note
type through a configurable OpenAI-compatible endpoint (``POST {url}/chat/completions``).

Off by default. Administrators turn it on and name the endpoint (practice setting; an API key, when
the endpoint needs one, stays in this computer's keyring). The text sent leaves the device, so the
editor says so and where to before anything is sent, and each use is audited with the endpoint's
host. The assistant only proposes field texts for a draft: the clinician edits them and signs
himself or herself — nothing here signs, saves or changes a signed note.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import keyring
import requests
from sqlalchemy import select

from mentalspace_desktop.domain.charting.templates import Template, TemplateError, check_content
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import MentalSpaceError, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.services.events import PracticeDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Practice

SETTINGS_KEY = "drafting_assistant"
KEYRING_SERVICE = "MentalSpace drafting assistant"
TIMEOUT_S = 60


class AssistantUnavailable(MentalSpaceError):
    """The assistant is off, or its endpoint did not give a usable answer; the draft is unchanged."""


@dataclass(frozen=True)
class AssistantSettings:
    enabled: bool = False
    url: str = ""
    model: str = ""

    @property
    def host(self) -> str:
        return urlparse(self.url).netloc or self.url


def _rules(practice: Practice) -> dict[str, Any]:
    try:
        data = json.loads(practice.rule_settings or "{}")
    except json.JSONDecodeError:
        data = {}
    return data if isinstance(data, dict) else {}


class DraftingAssistant:
    def __init__(self, session: UserSession) -> None:
        self.session = session

    def settings(self) -> AssistantSettings:
        with self.session.store.read() as s:
            practice = s.scalars(select(Practice).limit(1)).first()
        raw = _rules(practice).get(SETTINGS_KEY, {}) if practice else {}
        return AssistantSettings(bool(raw.get("enabled", False)), str(raw.get("url", "")), str(raw.get("model", "")))

    def save_settings(self, *, enabled: bool, url: str, model: str, api_key: str | None = None) -> None:
        """Administrators only. ``api_key``: None keeps the stored one, "" removes it."""
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        url, model = url.strip().rstrip("/"), model.strip()
        if enabled:
            errors = {}
            if urlparse(url).scheme not in ("http", "https") or not urlparse(url).netloc:
                errors["url"] = "Give the endpoint's address, e.g. https://llm.example.org/v1."
            if not model:
                errors["model"] = "Name the model the endpoint should use."
            if errors:
                raise ValidationError(errors)
        with self.session.store.write(self.session.actor.user_id) as s:
            practice = s.scalars(select(Practice).limit(1)).one()
            rules = _rules(practice)
            rules[SETTINGS_KEY] = {"enabled": enabled, "url": url, "model": model}
            practice.rule_settings = json.dumps(rules)
            audit.record(self.session, s, action="settings_changed", record_type="practice", record_id=practice.id,
                         summary=f"drafting assistant {'on' if enabled else 'off'}"
                                 + (f" ({urlparse(url).netloc})" if enabled else ""))
        if api_key is not None and url:
            if api_key:
                keyring.set_password(KEYRING_SERVICE, url, api_key)
            else:
                with contextlib.suppress(keyring.errors.PasswordDeleteError):
                    keyring.delete_password(KEYRING_SERVICE, url)
        self.session.events.emit(PracticeDidChange())

    def draft(self, note_id: str, bullets: str) -> dict[str, str]:
        """Proposed text for each field of the note's template, from the bullet points; nothing is saved."""
        settings = self.settings()
        if not settings.enabled:
            raise AssistantUnavailable("The drafting assistant is turned off for this practice.")
        if not bullets.strip():
            raise ValidationError({"bullets": "Write the session's bullet points first."})
        notes = NoteService(self.session)
        view = notes.open(note_id)
        if not view.can_edit:
            raise PermissionDenied("The assistant only fills drafts you are writing.")
        reply = self._ask(settings, _prompt(view.template), bullets)
        try:
            proposed = check_content(view.template, {k: str(v) for k, v in reply.items()
                                                     if k in view.template.keys and v})
        except TemplateError as exc:
            raise AssistantUnavailable(f"The assistant's answer did not fit the note: {exc}") from None
        with self.session.store.write(self.session.actor.user_id) as s:
            audit.record(self.session, s, action="assistant_used", record_type="note", record_id=note_id,
                         client_id=view.client_id, summary=f"bullet points sent to {settings.host}")
        return {k: v for k, v in proposed.items() if v}

    def _ask(self, settings: AssistantSettings, system: str, bullets: str) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        key = keyring.get_password(KEYRING_SERVICE, settings.url)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        body: dict[str, Any] = {"model": settings.model, "temperature": 0.2, "response_format": {"type": "json_object"},
                "messages": [{"role": "system", "content": system}, {"role": "user", "content": bullets}]}
        try:
            response = requests.post(f"{settings.url}/chat/completions", json=body, headers=headers,
                                     timeout=TIMEOUT_S)
        except requests.RequestException as exc:
            raise AssistantUnavailable(f"The drafting assistant at {settings.host} could not be reached "
                                       f"({type(exc).__name__}); the draft is unchanged.") from None
        if response.status_code != 200:
            raise AssistantUnavailable(f"The drafting assistant at {settings.host} answered {response.status_code}; "
                                       "the draft is unchanged.")
        try:
            content = response.json()["choices"][0]["message"]["content"]
            data = json.loads(content)
        except (ValueError, KeyError, IndexError, TypeError):
            raise AssistantUnavailable("The drafting assistant's answer was not a draft of this note; "
                                       "the draft is unchanged.") from None
        if not isinstance(data, dict):
            raise AssistantUnavailable("The drafting assistant's answer was not a draft of this note.")
        return data


def _prompt(template: Template) -> str:
    fields = "\n".join(f"- {f.key}: {f.label}" + (f" (one of: {', '.join(f.choices)})" if f.choices else "")
                       + (f" — {f.hint}" if f.hint else "") for f in template.fields)
    return ("You help a licensed mental-health clinician draft a clinical note from their own session bullet "
            f"points. Write a {template.name} in professional clinical language, using only facts in the bullet "
            "points; leave a field empty when the bullets say nothing for it. Answer with one JSON object whose "
            f"keys are exactly these field keys and whose values are the field texts:\n{fields}")
