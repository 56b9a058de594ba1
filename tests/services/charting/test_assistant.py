"""The drafting assistant against a local HTTP server speaking the OpenAI chat-completions API."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from mentalspace_desktop.errors import PermissionDenied, ValidationError
from mentalspace_desktop.services.charting.assistant import AssistantUnavailable, DraftingAssistant
from mentalspace_desktop.services.charting.notes import NoteService
from mentalspace_desktop.store.models import AuditEntry
from tests.factories import PASSWORD, PracticeFixture
from tests.sync.conftest import MemoryKeyring, memory_keyring  # noqa: F401  (fixture)


class FakeModel:
    """What the endpoint received, and what it answers next."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.answer: Any = {"subjective": "Client reports better sleep.", "plan": "Continue weekly CBT.",
                            "risk_level": "Low"}
        self.status = 200


@pytest.fixture
def endpoint() -> Iterator[tuple[str, FakeModel]]:
    model = FakeModel()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers["Content-Length"])
            model.requests.append(json.loads(self.rfile.read(length)))
            model.headers.append(dict(self.headers))
            content = model.answer if isinstance(model.answer, str) else json.dumps(model.answer)
            body = json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]}).encode()
            self.send_response(model.status if self.path == "/v1/chat/completions" else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/v1", model
    server.shutdown()
    server.server_close()


def test_the_assistant_fills_a_draft_only_when_turned_on(practice: PracticeFixture, endpoint: tuple[str, FakeModel],
                                                        memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    url, model = endpoint
    client = practice.add_client(clinician="other_clinician")
    notes = NoteService(practice.session_for("other_clinician"))
    note_id = notes.start(client.id, "soap")
    assistant = DraftingAssistant(practice.session_for("other_clinician"))
    with pytest.raises(AssistantUnavailable, match="turned off"):
        assistant.draft(note_id, "- slept better")
    assert model.requests == []  # off by default: nothing left the device
    with pytest.raises(PermissionDenied):
        assistant.save_settings(enabled=True, url=url, model="local")
    admin = DraftingAssistant(practice.admin)
    with pytest.raises(ValidationError):
        admin.save_settings(enabled=True, url="not a url", model="")
    admin.save_settings(enabled=True, url=url, model="clinic-model", api_key="sk-test")
    assert assistant.settings().host.startswith("127.0.0.1:")

    proposed = assistant.draft(note_id, "- slept better\n- continue CBT")
    assert proposed == {"subjective": "Client reports better sleep.", "plan": "Continue weekly CBT.",
                        "risk_level": "Low"}
    sent = model.requests[0]
    assert sent["model"] == "clinic-model" and sent["messages"][1]["content"] == "- slept better\n- continue CBT"
    assert "subjective" in sent["messages"][0]["content"] and "SOAP note" in sent["messages"][0]["content"]
    assert model.headers[0]["Authorization"] == "Bearer sk-test"
    assert notes.open(note_id).content["subjective"] == ""  # a proposal: the draft is the clinician's to fill
    with practice.admin.store.read() as s:
        assert s.scalars(select(AuditEntry.summary).where(AuditEntry.action == "assistant_used")).one().startswith(
            "bullet points sent to 127.0.0.1")

    model.answer = {"subjective": "x", "mood": "invented field"}  # unknown fields are not put in the note
    assert assistant.draft(note_id, "- short") == {"subjective": "x"}
    model.answer = "this is not JSON"
    with pytest.raises(AssistantUnavailable, match="not a draft"):
        assistant.draft(note_id, "- short")
    model.status = 500
    with pytest.raises(AssistantUnavailable, match="answered 500"):
        assistant.draft(note_id, "- short")
    model.status = 200
    model.answer = {"subjective": "ok", "risk_level": "Low", "assessment": "ok", "plan": "ok"}
    notes.autosave(note_id, assistant.draft(note_id, "- short"))
    notes.sign(note_id, PASSWORD)
    with pytest.raises(PermissionDenied, match="only fills drafts"):
        assistant.draft(note_id, "- more")
