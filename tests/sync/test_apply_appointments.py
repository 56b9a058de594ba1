"""A workstation applying notes that name appointments (the foreign key of migration 0015): a page
carrying a note before its appointment lands (keys are checked at the page's end), and an appointment
that leaves this workstation's scope takes its notes, and their bodies and addenda, with it instead of
leaving the page unable to commit."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Client, Note, NoteBody
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.sync.apply import apply_page
from mentalspace_desktop.sync.protocol import Cursor
from tests.factories import PracticeFixture
from tests.sync.test_apply import client_row

STAMP = {"updated_at": "2026-03-02T15:00:00+00:00", "device_id": "another-device", "deleted": False}


def _page(items: list[tuple[str, dict[str, Any]]], seq: int, drops: list[dict[str, str]] | None = None
          ) -> dict[str, Any]:
    return {"rows": [{"table": t, "row_id": r["id"], "server_seq": seq, "row": r} for t, r in items],
            "drops": drops or [], "cursor": Cursor("e1", seq).encode(), "more": False, "epoch": "e1",
            "watermark": seq}


def _count(practice: PracticeFixture, model: Any) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_notes_arrive_with_and_leave_with_their_appointment(practice: PracticeFixture) -> None:
    clin = practice.users["clinician"]
    client = client_row(practice, "HUB-A1", "Linkedclient", primary_clinician_id=clin)
    type_id = new_id()
    kind = {"id": type_id, "name": "Psychotherapy", "category": "individual", **STAMP}
    visit = {"id": new_id(), "client_id": client["id"], "provider_id": clin, "type_id": type_id,
             "start_local": "2026-03-02T10:00:00", "time_zone": "America/Chicago", "status": "completed",
             "start_at": "2026-03-02T16:00:00+00:00", "end_at": "2026-03-02T16:53:00+00:00", **STAMP}
    note = {"id": new_id(), "client_id": client["id"], "author_id": clin, "note_type": "soap",
            "service_date": "2026-03-02", "status": "draft", "appointment_id": visit["id"], **STAMP}
    addendum = {**note, "id": new_id(), "appointment_id": None, "addendum_to": note["id"]}
    body = {"id": new_id(), "note_id": note["id"], "client_id": client["id"], "body": "sealed", **STAMP}
    # Children first in the page: keys are checked when the page commits, not row by row.
    apply_page(practice.admin.store, _page([("note_bodies", body), ("notes", addendum), ("notes", note),
                                            ("appointments", visit), ("appointment_types", kind),
                                            ("clients", client)], 5))
    assert _count(practice, Note) == 2 and _count(practice, NoteBody) == 1

    tally = apply_page(practice.admin.store, _page([], 6, drops=[{"table": "appointments", "row_id": visit["id"]}]))
    assert tally.dropped == 1
    assert (_count(practice, Note), _count(practice, NoteBody), _count(practice, Appointment)) == (0, 0, 0)
    with practice.admin.store.read() as s:
        assert s.get(Client, client["id"]) is not None  # what the appointment hangs off stays
