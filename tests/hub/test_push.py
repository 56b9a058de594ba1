"""Push: idempotent batches, permission checks, merges and conflicts by ``domain.merge`` rules."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from mentalspace_desktop.domain.audit_chain import entry_hash
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.sync_models import ChangeLog, Conflict, Device
from tests.hub.conftest import DeviceClient, HubFixture, client_row


def register(desk: DeviceClient, **kw: object) -> tuple[dict[str, object], int]:
    row = client_row(**kw)  # type: ignore[arg-type]
    result = desk.push(desk.insert("clients", row))["results"][0]
    assert result["outcome"] == "applied", result
    return row, result["server_seq"]


def log_count(hub: HubFixture) -> int:
    with hub.session() as s:
        return int(s.scalar(select(func.count()).select_from(ChangeLog)))


def test_a_resent_batch_is_acknowledged_not_applied_twice(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    row = client_row()
    batch = [
        desk.insert("clients", row),
        desk.change("clients", row["id"], {"city": [None, "Macon"]}, base=None),
    ]
    first = desk.push(*batch)
    assert [r["outcome"] for r in first["results"]] == ["applied", "merged"] or [
        r["outcome"] for r in first["results"]
    ][0] == "applied"
    assert first["last_device_seq"] == 2
    logged = log_count(hub)
    again = desk.push(*batch)
    assert [r["outcome"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert again["results"][1]["row"]["city"] == "Macon"  # the device converges even from a duplicate
    assert log_count(hub) == logged and again["last_device_seq"] == 2


def test_reordered_and_duplicated_delivery(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    row = client_row()
    insert = desk.insert("clients", row)
    edit = desk.change("clients", row["id"], {"city": [None, "Athens"]}, base=None)
    answer = desk.push(edit, insert, insert)  # out of order, and the insert twice
    outcomes = [r["outcome"] for r in answer["results"]]
    assert outcomes[1] == "applied" and outcomes[2] == "duplicate"
    assert outcomes[0] in ("applied", "merged")
    with hub.session() as s:
        assert s.get(Client, row["id"]).city == "Athens"
        assert s.get(Device, desk.device_id).last_device_seq == 2


def test_a_rejection_still_advances_the_queue_and_reaches_its_author(hub: HubFixture) -> None:
    admin = hub.device("admin")
    theirs, _ = register(admin, clinician=hub.users["other_clinician"], last="Okafor")
    clin = hub.device("clinician")
    mine = client_row(clinician=hub.users["clinician"])
    answer = clin.push(
        clin.change("clients", theirs["id"], {"last_name": ["Okafor", "Changed"]}, base=1),
        clin.insert("clients", mine),
        clin.change("nonsense", new_id(), {"x": [1, 2]}),
        clin.change("clients", mine["id"], {"shoe_size": [None, 9]}),
    )
    results = answer["results"]
    assert [r["outcome"] for r in results] == ["rejected", "applied", "rejected", "rejected"]
    assert "caseload" in results[0]["reason"]
    assert results[0]["row"] is None  # never another clinician's client, not even in an error
    assert "nonsense" in results[2]["reason"] and "shoe_size" in results[3]["reason"]
    assert answer["last_device_seq"] == 4
    with hub.session() as s:
        assert s.get(Client, theirs["id"]).last_name == "Okafor"


def test_a_bad_reference_rejects_one_change_not_the_batch(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    orphan = {
        "id": new_id(),
        "client_id": new_id(),
        "rank": 1,
        "payer_name": "Aetna",
        "member_id": "X1",
        "subscriber_relationship": "self",
        "deleted": False,
    }
    row = client_row()
    answer = desk.push(desk.insert("insurances", orphan), desk.insert("clients", row))
    assert [r["outcome"] for r in answer["results"]] == ["rejected", "applied"]
    with hub.session() as s:
        assert s.get(Client, row["id"]) is not None


def test_different_fields_merge_and_the_same_field_records_a_conflict(hub: HubFixture) -> None:
    desk, other = hub.device("front_desk"), hub.device("admin")
    row, base = register(desk, city="Macon", phone_mobile="4045550100")
    moved = other.push(other.change("clients", row["id"], {"city": ["Macon", "Athens"]}, base=base))
    assert moved["results"][0]["outcome"] == "applied"
    merged = desk.push(
        desk.change("clients", row["id"], {"phone_mobile": ["4045550100", "4045550199"]}, base=base)
    )
    result = merged["results"][0]
    assert result["outcome"] == "merged"
    assert result["row"]["city"] == "Athens" and result["row"]["phone_mobile"] == "4045550199"

    clash = desk.push(desk.change("clients", row["id"], {"city": ["Macon", "Savannah"]}, base=base))
    result = clash["results"][0]
    assert result["outcome"] == "conflict" and len(result["conflict_ids"]) == 1
    assert result["row"]["city"] == "Savannah"  # demographics: the later arrival wins, the clash is kept
    with hub.session() as s:
        conflict = s.get(Conflict, result["conflict_ids"][0])
    assert conflict.field == "city" and conflict.kept == "device" and conflict.status == "open"
    assert json.loads(conflict.hub_value) == "Athens" and json.loads(conflict.device_value) == "Savannah"
    assert conflict.author_id == desk.user_id
    assert conflict.other_author_id == desk.user_id  # the hub row's last writer: this desk's merge above
    assert conflict.server_seq is not None and conflict.client_id == row["id"]
    rows, _, _ = desk.pull_all()
    assert ("conflicts", conflict.id) in rows  # the conflict reaches its author's devices


def test_delete_against_an_edit_is_a_conflict_not_a_silent_win(hub: HubFixture) -> None:
    desk, other = hub.device("front_desk"), hub.device("billing")
    row, base = register(desk, city="Macon")
    other.push(other.change("clients", row["id"], {"city": ["Macon", "Athens"]}, base=base))
    deleting = desk.push(
        desk.change("clients", row["id"], {"deleted": [False, True]}, op="delete", base=base)
    )
    result = deleting["results"][0]
    assert result["outcome"] == "conflict" and result["row"]["deleted"] is False
    with hub.session() as s:
        assert s.get(Client, row["id"]).deleted is False
        kept = s.scalars(select(Conflict.kept).where(Conflict.row_id == row["id"])).all()
    assert kept == ["hub"]
    current = result["row"]["server_seq"]
    gone = desk.push(desk.change("clients", row["id"], {"deleted": [False, True]}, op="delete", base=current))
    assert gone["results"][0]["outcome"] == "applied"


def test_who_may_write_what(hub: HubFixture) -> None:
    clin, desk, admin = hub.device("clinician"), hub.device("front_desk"), hub.device("admin")
    own = clin.push(clin.change("users", hub.users["clinician"], {"password_hash": ["x", "y"]}, base=2))
    assert own["results"][0]["outcome"] in ("applied", "merged", "conflict")
    role = clin.push(clin.change("users", hub.users["clinician"], {"role": ["clinician", "admin"]}, base=2))
    assert role["results"][0]["outcome"] == "rejected"
    practice = desk.push(desk.change("practice", _practice_id(hub), {"name": ["a", "b"]}, base=1))
    assert practice["results"][0]["outcome"] == "rejected"
    assert (
        admin.push(
            admin.change("practice", _practice_id(hub), {"name": ["Peachtree Counseling", "Peach"]}, base=1)
        )["results"][0]["outcome"]
        == "applied"
    )
    entry = {
        "id": new_id(),
        "seq": 1,
        "at": "2025-01-02T03:04:05+00:00",
        "workstation": "desk-1",
        "user_id": desk.user_id,
        "username": "front.desk",
        "action": "open_chart",
        "record_type": "client",
        "summary": "",
        "prev_hash": "0" * 64,
        "deleted": False,
    }
    entry["hash"] = entry_hash({**entry, "device_id": desk.device_id}, "0" * 64)  # the hub checks the chain
    assert desk.push(desk.insert("audit_log", entry))["results"][0]["outcome"] == "applied"
    edit = desk.push(desk.change("audit_log", entry["id"], {"summary": ["", "changed"]}, base=None))
    assert edit["results"][0]["outcome"] == "rejected"
    assert "never changed" in edit["results"][0]["reason"]


def _practice_id(hub: HubFixture) -> str:
    with hub.session() as s:
        return str(s.scalar(select(ChangeLog.row_id).where(ChangeLog.table_name == "practice")))


def test_a_duplicate_is_a_change_id_seen_before_never_a_sequence_number_alone(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    row, _ = register(desk)
    with hub.session() as s:
        last = int(s.get(Device, desk.device_id).last_device_seq)  # type: ignore[union-attr]
    # new work under a number already used (a store restored from a backup): refused, nothing moves
    reused = desk.change("clients", row["id"], {"city": [None, "Rome"]}, seq=last)
    answer = desk.post("/v1/sync/push", json={"changes": [reused]})
    assert answer.status_code == 409 and answer.json()["code"] == "device_seq_behind"
    assert answer.json()["last_device_seq"] == last
    # a number that jumps ahead (2^31 included): refused, nothing moves
    for seq in (last + 2, 2**31):
        ahead = desk.change("clients", row["id"], {"city": [None, "Rome"]}, seq=seq)
        refused = desk.post("/v1/sync/push", json={"changes": [ahead]})
        assert refused.status_code == 409 and refused.json()["code"] == "device_seq_gap", refused.text
    with hub.session() as s:
        assert int(s.get(Device, desk.device_id).last_device_seq) == last  # type: ignore[union-attr]
        assert s.get(Client, row["id"]).city != "Rome"  # type: ignore[union-attr]
    # the same work renumbered after the hub's last is applied; sent again, it is a duplicate
    renumbered = {**reused, "device_seq": last + 1}
    assert desk.push(renumbered)["results"][0]["outcome"] in ("applied", "merged")
    assert desk.push(renumbered)["results"][0]["outcome"] == "duplicate"


def test_a_refused_change_sent_again_is_refused_again(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    row, _ = register(desk)
    change = desk.change("clients", row["id"], {"nonexistent_field": [None, 1]})
    first = desk.push(change)["results"][0]
    assert first["outcome"] == "rejected"
    again = desk.push(change)["results"][0]  # its answer was lost: its author still learns of the refusal
    assert again["outcome"] == "rejected" and again["reason"] == first["reason"]


def test_a_pushed_row_is_a_held_row(hub: HubFixture) -> None:
    from mentalspace_desktop.store.sync_models import DeviceHolding

    desk = hub.device("clinician")
    row, _ = register(desk, clinician=hub.users["clinician"])
    with hub.session() as s:
        assert s.get(DeviceHolding, (desk.device_id, "clients", row["id"])) is not None
    other = hub.device("admin")
    other.push(other.change("clients", row["id"], {"primary_clinician_id": [hub.users["clinician"],
                                                                           hub.users["other_clinician"]]}))
    _rows, drops, _cursor = desk.pull_all()  # the pull right after the push never came: this one drops it
    assert {"table": "clients", "row_id": row["id"]} in drops
