"""Rows that reach a workstation before the row they refer to (a page ending between them) wait for it:
the page still applies, nothing is lost, and the waiting row lands with the page that brings its
parent — at any depth, in the newest version the hub sent, or never if the hub drops it meanwhile."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Client, Note
from mentalspace_desktop.store.reminder_models import ReminderMessage
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentStatusChange
from mentalspace_desktop.sync import parked, state
from mentalspace_desktop.sync.apply import apply_page
from mentalspace_desktop.sync.protocol import Cursor
from tests.factories import PracticeFixture
from tests.sync.test_apply import client_row
from tests.sync.test_apply_appointments import STAMP

Items = list[tuple[str, dict[str, Any]]]


def _page(items: Items, seq: int, drops: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"rows": [{"table": t, "row_id": r["id"], "server_seq": seq, "row": r} for t, r in items],
            "drops": drops or [], "cursor": Cursor("e1", seq).encode(), "more": True, "epoch": "e1",
            "watermark": seq + 10}


def _count(practice: PracticeFixture, model: Any) -> int:
    with practice.admin.store.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def _visit(practice: PracticeFixture) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A client (of another clinician), an appointment type and a visit of the client."""
    clin = practice.users["clinician"]
    client = client_row(practice, "HUB-P1", "Coveredclient", primary_clinician_id=clin)
    kind = {"id": new_id(), "name": "Psychotherapy", "category": "individual", **STAMP}
    visit = {"id": new_id(), "client_id": client["id"], "provider_id": clin, "type_id": kind["id"],
             "start_local": "2026-03-02T10:00:00", "time_zone": "America/Chicago", "status": "scheduled",
             "start_at": "2026-03-02T16:00:00+00:00", "end_at": "2026-03-02T16:50:00+00:00", **STAMP}
    return client, kind, visit


def test_a_visit_and_its_history_wait_for_their_client_then_land_together(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client, kind, visit = _visit(practice)
    history = {"id": new_id(), "appointment_id": visit["id"], "client_id": client["id"], "status": "scheduled",
               "at": "2026-03-01T12:00:00+00:00", "by": practice.users["admin"], **STAMP}
    apply_page(store, _page([("appointment_types", kind)], 1))
    # The page ends after the visit and its history: their client is in the next one.
    tally = apply_page(store, _page([("appointments", visit), ("appointment_status_history", history)], 3))
    assert tally.parked == 2 and tally.new == 0
    assert _count(practice, Appointment) == 0 and parked.count(store) == 2
    assert Cursor.decode(state.current_cursor(store)).seq == 3  # the cursor moved on: no retry loop
    tally = apply_page(store, _page([("clients", client)], 4))
    assert tally.parked == 0 and tally.new == 3
    assert parked.count(store) == 0
    with store.read() as s:
        got = s.get(Appointment, visit["id"])
        assert got is not None and got.client_id == client["id"]
        assert s.get(AppointmentStatusChange, history["id"]) is not None
        assert s.get(Client, client["id"]) is not None


def test_a_note_waits_for_its_appointment(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client, kind, visit = _visit(practice)
    note = {"id": new_id(), "client_id": client["id"], "author_id": practice.users["clinician"],
            "note_type": "soap", "service_date": "2026-03-02", "status": "draft", "appointment_id": visit["id"],
            **STAMP}
    apply_page(store, _page([("appointment_types", kind), ("clients", client)], 2))
    assert apply_page(store, _page([("notes", note)], 3)).parked == 1
    assert _count(practice, Note) == 0
    assert apply_page(store, _page([("appointments", visit)], 4)).new == 2
    assert _count(practice, Note) == 1 and parked.count(store) == 0


def test_a_reminder_waits_for_its_client(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client, _, visit = _visit(practice)
    message = {"id": new_id(), "key": f"r|{visit['id']}|1440|sms", "chain_id": visit["id"],
               "appointment_id": visit["id"], "client_id": client["id"], "provider_id": practice.users["clinician"],
               "channel": "sms", "to_address": "+14045550100", "body": "Reminder", "state": "sent",
               "created_at": "2026-03-01T16:00:00+00:00", **STAMP}
    assert apply_page(store, _page([("reminder_messages", message)], 1)).parked == 1
    apply_page(store, _page([("clients", client)], 2))
    assert _count(practice, ReminderMessage) == 1 and parked.count(store) == 0


def test_a_waiting_row_takes_the_newest_version_or_goes_when_dropped(practice: PracticeFixture) -> None:
    store = practice.admin.store
    client, kind, visit = _visit(practice)
    other = {**visit, "id": new_id()}
    apply_page(store, _page([("appointment_types", kind)], 1))
    apply_page(store, _page([("appointments", visit), ("appointments", other)], 2))
    assert parked.count(store) == 2
    # A newer version of one arrives (still without its client); the hub drops the other.
    apply_page(store, _page([("appointments", {**visit, "status": "confirmed"})], 3,
                            drops=[{"table": "appointments", "row_id": other["id"]}]))
    assert parked.count(store) == 1
    apply_page(store, _page([("clients", client)], 4))
    with store.read() as s:
        got = s.get(Appointment, visit["id"])
        assert got is not None and got.status == "confirmed"
        assert s.get(Appointment, other["id"]) is None
    assert parked.count(store) == 0


def test_a_waiting_row_dropped_by_a_page_of_drops_alone_never_lands(practice: PracticeFixture) -> None:
    """The hub dropped the waiting visit in a page with nothing else: it must not land when its client
    comes later (the hub no longer counts it as held here, so it would never be dropped again)."""
    store = practice.admin.store
    client, kind, visit = _visit(practice)
    apply_page(store, _page([("appointment_types", kind)], 1))
    assert apply_page(store, _page([("appointments", visit)], 2)).parked == 1
    apply_page(store, _page([], 3, drops=[{"table": "appointments", "row_id": visit["id"]}]))
    assert parked.count(store) == 0
    apply_page(store, _page([("clients", client)], 4))
    assert _count(practice, Appointment) == 0


def test_rows_waiting_from_before_a_fresh_snapshot_do_not_land_with_it(practice: PracticeFixture) -> None:
    """A fresh snapshot re-sends all this device may hold: a row waiting from before it (the visit has
    since left this device's scope) does not land when the snapshot brings its client."""
    store = practice.admin.store
    client, kind, visit = _visit(practice)
    apply_page(store, _page([("appointment_types", kind)], 1))
    assert apply_page(store, _page([("appointments", visit)], 2)).parked == 1
    apply_page(store, _page([("appointment_types", kind), ("clients", client)], 5), snapshot_page=0)
    assert _count(practice, Appointment) == 0 and parked.count(store) == 0
