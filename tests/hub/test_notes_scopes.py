"""Notes on the hub: who receives a note's metadata and who its body, and signed notes that never change.

DESIGN.md, Sync: "Note bodies live in their own table so a front-desk device can never receive one —
not in a page, a conflict record or an error." Each body written here carries a marker string; the
raw JSON of every page and every answer a front-desk or billing device gets is searched for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Note, NoteBody
from mentalspace_desktop.store.sync_models import Conflict
from tests.hub.conftest import DeviceClient, HubFixture, client_row

MARKER = "Zq7-heron-marker"  # appears only inside note bodies
SIGNED_AT = "2025-03-14T18:00:00+00:00"


@dataclass
class Chart:
    client_id: str
    note_id: str
    body_id: str
    note_seq: int
    body_seq: int
    text: str


def note_row(client_id: str, author_id: str, **extra: Any) -> dict[str, Any]:
    row = {"id": new_id(), "client_id": client_id, "author_id": author_id, "note_type": "progress",
           "service_date": "2025-03-14", "status": "draft", "deleted": False}
    row.update(extra)
    return row


def body_row(note: dict[str, Any], text: str) -> dict[str, Any]:
    return {"id": new_id(), "note_id": note["id"], "client_id": note["client_id"], "body": text,
            "deleted": False}


def outcomes(answer: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in answer["results"]]


def charted(hub: HubFixture, clin: DeviceClient) -> Chart:
    """A client of the clinician's, registered at the desk, with one draft note the clinician wrote."""
    desk = hub.device("front_desk")
    client = client_row(clinician=hub.users["clinician"], last="Charted")
    assert outcomes(desk.push(desk.insert("clients", client))) == ["applied"]
    note = note_row(str(client["id"]), clin.user_id)
    body = body_row(note, f"first session. {MARKER} client described sleep trouble")
    answer = clin.push(clin.insert("notes", note), clin.insert("note_bodies", body))
    assert outcomes(answer) == ["applied", "applied"], answer
    seqs = [r["server_seq"] for r in answer["results"]]
    return Chart(str(client["id"]), note["id"], body["id"], seqs[0], seqs[1], body["body"])


def raw_pages(device: DeviceClient, limit: int = 2) -> list[str]:
    """Every page of a full pull, as the JSON text the device received."""
    texts, cursor = [], ""
    while True:
        response = device.get("/v1/sync/pull", params={"cursor": cursor, "limit": limit})
        assert response.status_code == 200, response.text
        texts.append(response.text)
        page = response.json()
        cursor = page["cursor"]
        if not page["more"]:
            return texts


def received(texts: list[str]) -> list[dict[str, Any]]:
    return [item for text in texts for item in json.loads(text)["rows"]]


def try_to_touch_the_body(device: DeviceClient, chart: Chart) -> list[str]:
    """A device without access pushing at the body and the note every way it can; the raw answers."""
    attempts = [
        device.change("note_bodies", chart.body_id, {"body": [chart.text, "overwritten"]}, base=chart.body_seq),
        device.change("note_bodies", chart.body_id, {"body": [1, 2]}),  # malformed
        device.insert("note_bodies", {"id": chart.body_id, "note_id": chart.note_id,
                                      "client_id": chart.client_id, "body": "replacement", "deleted": False}),
        device.change("note_bodies", chart.body_id, {}, op="delete", base=chart.body_seq),
        device.change("notes", chart.note_id, {"note_type": ["progress", "intake"]}, base=chart.note_seq),
        device.change("conflicts", new_id(), {"table_name": [None, "note_bodies"]}, op="insert"),
    ]
    texts = []
    for change in attempts:
        response = device.post("/v1/sync/push", json={"changes": [device.signed(change)]})
        assert response.status_code == 200, response.text
        assert outcomes(response.json()) == ["rejected"], response.text
        texts.append(response.text)
    return texts


def test_note_bodies_never_reach_front_desk_or_billing_devices(hub: HubFixture) -> None:
    clin, sup = hub.device("clinician"), hub.device("supervisor")
    chart = charted(hub, clin)
    # A clash on the body between the clinician and their supervisor: a conflict record holding both texts.
    mine = clin.push(clin.change("note_bodies", chart.body_id,
                                 {"body": [chart.text, f"clinician edit {MARKER}"]}, base=chart.body_seq))
    assert outcomes(mine) == ["applied"]
    theirs = sup.push(sup.change("note_bodies", chart.body_id,
                                 {"body": [chart.text, f"supervisor edit {MARKER}"]}, base=chart.body_seq))
    assert outcomes(theirs) == ["conflict"], theirs
    with hub.session() as s:
        (conflict,) = s.scalars(select(Conflict).where(Conflict.table_name == "note_bodies")).all()
        assert MARKER in (conflict.hub_value or "") and conflict.client_id == chart.client_id
        assert s.get(NoteBody, chart.body_id).body == f"clinician edit {MARKER}"  # clinical: the hub's stays

    for role in ("front_desk", "billing"):
        device = hub.device(role)
        pages = raw_pages(device)
        answers = try_to_touch_the_body(device, chart)
        pages += raw_pages(device, limit=1000)
        assert all(MARKER not in text for text in pages + answers), role
        rows = received(pages)
        assert not [r for r in rows if r["table"] == "note_bodies"], role
        assert not [r for r in rows if r["table"] == "conflicts" and r["row"].get("table_name") == "note_bodies"]
        notes = [r["row"] for r in rows if r["table"] == "notes"]
        assert {n["id"] for n in notes} == {chart.note_id}, role  # the metadata does reach them
        assert notes[0]["service_date"] == "2025-03-14" and "body" not in notes[0]
    with hub.session() as s:
        assert s.get(NoteBody, chart.body_id).body == f"clinician edit {MARKER}"  # none of it was applied
        assert s.get(Note, chart.note_id).note_type == "progress"

    for role in ("clinician", "supervisor", "admin"):
        rows = received(raw_pages(hub.device(role), limit=1000))
        bodies = {r["row_id"]: r["row"]["body"] for r in rows if r["table"] == "note_bodies"}
        assert bodies == {chart.body_id: f"clinician edit {MARKER}"}, role
    sup_rows = received(raw_pages(sup, limit=1000))
    assert ("conflicts", conflict.id) in {(r["table"], r["row_id"]) for r in sup_rows}  # theirs to decide
    assert all(MARKER not in text for text in raw_pages(hub.device("other_clinician")))


def test_a_signed_note_never_changes_and_is_amended_by_addendum(hub: HubFixture) -> None:
    clin, sup = hub.device("clinician"), hub.device("supervisor")
    chart = charted(hub, clin)
    signed = clin.push(
        clin.change("notes", chart.note_id, {"status": ["draft", "signed"], "signed_at": [None, SIGNED_AT],
                                             "signed_by": [None, clin.user_id]}, base=chart.note_seq),
        clin.change("note_bodies", chart.body_id, {"signed_at": [None, SIGNED_AT]}, base=chart.body_seq),
    )
    assert outcomes(signed) == ["applied", "applied"]
    note_seq, body_seq = (r["server_seq"] for r in signed["results"])
    with hub.session() as s:
        before = s.get(NoteBody, chart.body_id).body

    refused = clin.push(
        clin.change("note_bodies", chart.body_id, {"body": [before, "rewritten after signing"]}, base=body_seq),
        clin.change("notes", chart.note_id, {"service_date": ["2025-03-14", "2025-03-15"]}, base=note_seq),
    )
    assert outcomes(refused) == ["rejected", "rejected"]
    for result in refused["results"]:
        assert "addendum" in result["reason"]
    assert refused["results"][0]["row"]["body"] == before  # the author's device gets the hub's version back

    cosigned = sup.push(sup.change("notes", chart.note_id, {"cosigned_at": [None, SIGNED_AT],
                                                             "cosigned_by": [None, sup.user_id]}, base=note_seq))
    assert outcomes(cosigned) == ["applied"]
    addendum = note_row(chart.client_id, clin.user_id, note_type="addendum", addendum_to=chart.note_id)
    amended = clin.push(clin.insert("notes", addendum), clin.insert("note_bodies", body_row(addendum, "also:")))
    assert outcomes(amended) == ["applied", "applied"]
    with hub.session() as s:
        body = s.get(NoteBody, chart.body_id)
        note = s.get(Note, chart.note_id)
        assert body.body == before and body.signed_at is not None
        assert (note.status, note.service_date.isoformat(), note.signed_by, note.cosigned_by) == (
            "signed", "2025-03-14", clin.user_id, sup.user_id)
        assert s.get(Note, addendum["id"]).addendum_to == chart.note_id
    desk_notes = {r["row_id"]: r["row"] for r in received(raw_pages(hub.device("front_desk"), limit=1000))
                  if r["table"] == "notes"}
    assert desk_notes[chart.note_id]["status"] == "signed" and addendum["id"] in desk_notes


def test_two_signatures_made_offline_are_both_kept(hub: HubFixture) -> None:
    clin, sup = hub.device("clinician"), hub.device("supervisor")
    chart = charted(hub, clin)
    # Both started from the draft: the supervisor's co-signature arrives after the note was signed.
    sign = clin.push(clin.change("notes", chart.note_id, {"status": ["draft", "signed"],
                                                          "signed_at": [None, SIGNED_AT],
                                                          "signed_by": [None, clin.user_id]}, base=chart.note_seq))
    cosign = sup.push(sup.change("notes", chart.note_id, {"cosigned_at": [None, "2025-03-15T09:00:00+00:00"],
                                                          "cosigned_by": [None, sup.user_id]}, base=chart.note_seq))
    assert outcomes(sign) == ["applied"] and outcomes(cosign) == ["merged"], cosign
    with hub.session() as s:
        note = s.get(Note, chart.note_id)
        assert (note.signed_by, note.cosigned_by) == (clin.user_id, sup.user_id)
        assert note.signed_at is not None and note.cosigned_at is not None
        assert s.scalars(select(Conflict)).all() == []


def test_reassigning_the_client_moves_its_note_bodies_to_the_new_clinician(hub: HubFixture) -> None:
    clin, other = hub.device("clinician"), hub.device("other_clinician")
    chart = charted(hub, clin)
    held, _, cursor = clin.pull_all()
    _, _, other_cursor = other.pull_all()
    assert ("note_bodies", chart.body_id) in held
    desk = hub.device("front_desk")
    base = held[("clients", chart.client_id)]["server_seq"]
    moved = desk.push(desk.change("clients", chart.client_id,
                                  {"primary_clinician_id": [clin.user_id, other.user_id]}, base=base))
    assert outcomes(moved) == ["applied"]
    _, drops, _ = clin.pull_all(cursor)
    assert {("clients", chart.client_id), ("note_bodies", chart.body_id)} <= {
        (d["table"], d["row_id"]) for d in drops}
    gained, _, _ = other.pull_all(other_cursor)
    assert gained[("note_bodies", chart.body_id)]["body"].startswith("first session.")
    assert ("notes", chart.note_id) in gained


def test_a_signature_cannot_be_taken_back_or_replaced(hub: HubFixture) -> None:
    """Only an empty signature field may be filled on a signed note (that is how a second signature made
    offline is kept); clearing or rewriting one is a change to a signed note like any other."""
    clin, sup = hub.device("clinician"), hub.device("supervisor")
    chart = charted(hub, clin)
    signed = clin.push(
        clin.change("notes", chart.note_id, {"status": ["draft", "signed"], "signed_at": [None, SIGNED_AT],
                                             "signed_by": [None, clin.user_id]}, base=chart.note_seq),
        clin.change("note_bodies", chart.body_id, {"signed_at": [None, SIGNED_AT]}, base=chart.body_seq),
    )
    note_seq, body_seq = (r["server_seq"] for r in signed["results"])
    attempts = clin.push(
        clin.change("note_bodies", chart.body_id, {"signed_at": [SIGNED_AT, None]}, base=body_seq),
        clin.change("notes", chart.note_id, {"signed_at": [SIGNED_AT, None]}, base=note_seq),
        clin.change("notes", chart.note_id, {"signed_by": [clin.user_id, sup.user_id]}, base=note_seq),
    )
    assert outcomes(attempts) == ["rejected", "rejected", "rejected"], attempts
    with hub.session() as s:
        note, body = s.get(Note, chart.note_id), s.get(NoteBody, chart.body_id)
        assert note.signed_at is not None and note.signed_by == clin.user_id and body.signed_at is not None
