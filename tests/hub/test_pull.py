"""Pull: scopes per role, drops when a row leaves scope, paging below the watermark, epochs."""

from __future__ import annotations

from sqlalchemy import select

from mentalspace_desktop.domain.merge import DataKind
from mentalspace_desktop.domain.roles import Resource, Role
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.services.scopes import withhold_note_content
from mentalspace_desktop.store.sync_models import Conflict
from mentalspace_desktop.sync import tables
from mentalspace_desktop.sync.protocol import Cursor
from mentalspace_desktop.sync.tables import TableSpec
from tests.hub.conftest import DeviceClient, HubFixture, client_row


def caseload(hub: HubFixture) -> dict[str, dict[str, object]]:
    desk = hub.device("front_desk")
    rows = {
        "mine": client_row(clinician=hub.users["clinician"], last="Mine"),
        "theirs": client_row(clinician=hub.users["other_clinician"], last="Theirs"),
        "nobody": client_row(last="Unassigned"),
    }
    desk.push(*(desk.insert("clients", r) for r in rows.values()))
    ins = {
        "id": "ins-" + str(rows["mine"]["id"])[4:],
        "client_id": rows["mine"]["id"],
        "rank": 1,
        "payer_name": "Aetna",
        "member_id": "W1",
        "subscriber_relationship": "self",
        "deleted": False,
    }
    desk.push(desk.insert("insurances", ins))
    return {**rows, "insurance": ins}


def client_ids(device: DeviceClient) -> set[str]:
    rows, _, _ = device.pull_all(limit=3)
    return {row_id for (table, row_id) in rows if table == "clients"}


def test_each_role_receives_its_scope_only(hub: HubFixture) -> None:
    rows = caseload(hub)
    everyone = {str(r["id"]) for k, r in rows.items() if k != "insurance"}
    assert client_ids(hub.device("front_desk")) == everyone
    assert client_ids(hub.device("billing")) == everyone
    assert client_ids(hub.device("admin")) == everyone
    assert client_ids(hub.device("clinician")) == {rows["mine"]["id"]}
    assert client_ids(hub.device("supervisor")) == {rows["mine"]["id"]}  # their supervisee's client
    assert client_ids(hub.device("other_clinician")) == {rows["theirs"]["id"]}


def test_a_clinician_never_receives_another_clinicians_client_in_any_page(hub: HubFixture) -> None:
    rows = caseload(hub)
    clin = hub.device("clinician")
    cursor, seen = "", []
    while True:
        page = clin.get("/v1/sync/pull", params={"cursor": cursor, "limit": 1}).json()
        seen.extend(page["rows"])
        cursor = page["cursor"]
        if not page["more"]:
            break
    text = repr(seen)
    assert str(rows["theirs"]["id"]) not in text and "Theirs" not in text and "Unassigned" not in text
    assert any(r["table"] == "users" for r in seen) and any(r["table"] == "practice" for r in seen)
    assert ("insurances", rows["insurance"]["id"]) in {(r["table"], r["row_id"]) for r in seen}


def test_reassigning_a_client_drops_it_and_its_insurance_from_the_old_clinician(hub: HubFixture) -> None:
    rows = caseload(hub)
    clin, other = hub.device("clinician"), hub.device("other_clinician")
    held, _, cursor = clin.pull_all()
    _, _, other_cursor = other.pull_all()
    mine = rows["mine"]
    assert ("clients", mine["id"]) in held and ("insurances", rows["insurance"]["id"]) in held
    desk = hub.device("front_desk")
    seq = desk.push(desk.change("clients", str(mine["id"]), {}, seq=1))  # rejected: nothing to change
    assert seq["results"][0]["outcome"] == "rejected"
    base = held[("clients", mine["id"])]["server_seq"]
    moved = desk.push(
        desk.change(
            "clients",
            str(mine["id"]),
            {"primary_clinician_id": [hub.users["clinician"], hub.users["other_clinician"]]},
            base=base,
        )
    )
    assert moved["results"][0]["outcome"] == "applied"
    _, drops, _ = clin.pull_all(cursor)
    assert {(d["table"], d["row_id"]) for d in drops} == {
        ("clients", mine["id"]),
        ("insurances", rows["insurance"]["id"]),
    }
    gained, _, _ = other.pull_all(other_cursor)
    assert ("clients", mine["id"]) in gained and ("insurances", rows["insurance"]["id"]) in gained
    _, drops_again, _ = clin.pull_all(cursor)
    assert drops_again == []  # the hub knows the device no longer holds them


def test_paging_resumes_from_the_cursor_below_the_watermark(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    desk.push(*(desk.insert("clients", client_row(last=f"P{i}")) for i in range(7)))
    first = desk.get("/v1/sync/pull", params={"limit": 4}).json()
    assert first["more"] is True and len(first["rows"]) == 4
    watermark = first["watermark"]
    resumed, _, final = desk.pull_all(first["cursor"], limit=4)  # an interrupted first sync carries on
    everything, _, _ = desk.pull_all()
    got = {(r["table"], r["row_id"]) for r in first["rows"]} | set(resumed)
    assert got == set(everything)
    assert Cursor.decode(final).seq == watermark
    empty = desk.get("/v1/sync/pull", params={"cursor": final}).json()
    assert empty["rows"] == [] and empty["more"] is False and empty["cursor"] == final


def test_another_epoch_answers_409_and_a_bad_cursor_400(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    _, _, cursor = desk.pull_all()
    assert desk.get("/v1/sync/pull", params={"cursor": "not-a-cursor"}).status_code == 400
    epoch = db.new_epoch(hub.ctx.engine)
    answer = desk.get("/v1/sync/pull", params={"cursor": cursor})
    assert answer.status_code == 409
    assert answer.json()["code"] == "epoch_changed" and answer.json()["epoch"] == epoch
    fresh = desk.get("/v1/sync/pull", params={"cursor": ""}).json()
    assert fresh["epoch"] == epoch and fresh["rows"]


def test_note_bodies_never_reach_the_front_desk(hub: HubFixture, monkeypatch: object) -> None:
    """Future-proof: any table marked NOTE_CONTENT, and conflicts about one, are withheld."""
    monkeypatch.setitem(
        tables.TABLES,
        "notes",  # type: ignore[attr-defined]
        TableSpec("notes", DataKind.CLINICAL, Resource.NOTE_CONTENT, client_key="client_id"),
    )
    body = {"id": "n1", "client_id": "c1", "body": "session content"}
    assert withhold_note_content(Role.FRONT_DESK, "notes", body) is None
    assert withhold_note_content(Role.BILLING, "notes", body) is None
    assert withhold_note_content(Role.CLINICIAN, "notes", body) == body
    assert withhold_note_content(Role.FRONT_DESK, "clients", {"id": "c1"}) == {"id": "c1"}

    rows = caseload(hub)
    clin = hub.device("clinician")
    with hub.session() as s, s.begin():
        repo.lock_writes(s)
        conflict = Conflict(
            table_name="notes",
            row_id="n1",
            client_id=rows["mine"]["id"],
            field="body",
            hub_value='"what the client said"',
            device_value='"other words"',
            kept="hub",
            author_id=clin.user_id,
            status="open",
            reason="",
        )
        repo.record_write(s, conflict, op="insert", user_id=clin.user_id, device_id=clin.device_id)
    for role in ("front_desk", "billing"):
        page, _, _ = hub.device(role).pull_all()
        assert "what the client said" not in repr(page)
    mine, _, _ = clin.pull_all()
    assert ("conflicts", conflict.id) in mine
    with hub.session() as s:
        assert s.scalars(select(Conflict.id)).all() == [conflict.id]
