"""The default note templates: version 1 of each note type, from ``resources/note_templates.json``.

They have the same ids on every store and the hub, because migration 0012 writes them everywhere:
no workstation ever creates (and pushes) them, so no clinician's device writes practice settings.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from mentalspace_desktop.resources import resource_path

DEFAULTS_NAMESPACE = uuid.UUID("6f1d2c4e-5b0a-4c8e-9a57-1f3e0c2d8b71")


def default_templates() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(resource_path("note_templates.json").read_text(encoding="utf-8"))
    return data


def default_template_id(note_type: str) -> str:
    return str(uuid.uuid5(DEFAULTS_NAMESPACE, f"note_template:{note_type}:1"))


def default_rows() -> list[dict[str, Any]]:
    """Version 1 of each default note type, as rows (what migration 0012 inserts)."""
    return [{"id": default_template_id(t["note_type"]), "note_type": t["note_type"], "name": t["name"],
             "version": 1, "fields": json.dumps(t["fields"], ensure_ascii=False), "active": True}
            for t in default_templates()]
