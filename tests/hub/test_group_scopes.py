"""A clinician's client in a colleague's therapy group: the membership and attendance reach the
clinician's devices with what they name — the group's row and its sessions (which name no client) —
and nothing of the group's other members. Without the group row the workstation could never store
the membership (its foreign key), and before rows could wait for their parent that stopped its sync."""

from __future__ import annotations

import json
from typing import Any

from mentalspace_desktop.domain.ids import new_id
from tests.hub.conftest import HubFixture, client_row
from tests.hub.test_schedule_covering import _type
from tests.hub.test_schedule_scopes import appointment, outcomes


def _group(hub: HubFixture, type_id: str) -> dict[str, Any]:
    return {"id": new_id(), "name": "Tuesday anxiety group", "type_id": type_id,
            "facilitator_id": hub.users["other_clinician"], "capacity": 8, "enrollment": "open",
            "screening_required": False, "active": True, "deleted": False}


def test_a_clients_group_and_its_sessions_follow_the_membership(hub: HubFixture) -> None:
    desk, admin = hub.device("front_desk"), hub.device("admin")
    type_id = _type(admin)
    mine = client_row(clinician=hub.users["clinician"], last="Mineclient")
    theirs = client_row(clinician=hub.users["other_clinician"], last="Otherclient")
    group = _group(hub, type_id)
    session = appointment(None, hub.users["other_clinician"], type_id, 15, group_id=group["id"])
    their_member = {"id": new_id(), "group_id": group["id"], "client_id": theirs["id"], "status": "approved",
                    "deleted": False}
    answer = desk.push(desk.insert("clients", mine), desk.insert("clients", theirs),
                       desk.insert("therapy_groups", group), desk.insert("appointments", session),
                       desk.insert("group_members", their_member))
    assert set(outcomes(answer)) == {"applied"}, answer
    clin = hub.device("clinician")
    rows, _, cursor = clin.pull_all()
    assert ("therapy_groups", group["id"]) not in rows and ("appointments", session["id"]) not in rows

    # The clinician's client joins the colleague's group.
    member = {"id": new_id(), "group_id": group["id"], "client_id": mine["id"], "status": "approved",
              "deleted": False}
    assert outcomes(desk.push(desk.insert("group_members", member))) == ["applied"]
    rows, _, cursor = clin.pull_all(cursor)
    assert ("group_members", member["id"]) in rows
    assert rows[("therapy_groups", group["id"])]["name"] == "Tuesday anxiety group"
    assert rows[("appointments", session["id"])]["client_id"] is None
    attendance = {"id": new_id(), "group_id": group["id"], "appointment_id": session["id"], "client_id": mine["id"],
                  "status": "attended", "recorded_by": desk.user_id, "recorded_at": "2026-03-03T21:00:00+00:00",
                  "deleted": False}
    assert outcomes(desk.push(desk.insert("group_attendance", attendance))) == ["applied"]
    rows, _, cursor = clin.pull_all(cursor)
    assert ("group_attendance", attendance["id"]) in rows

    # Nothing of the other member; the group stays the colleague's to change.
    fresh, _, _ = hub.device("clinician").pull_all()
    text = json.dumps([[t, i, r] for (t, i), r in fresh.items()], default=str)
    assert theirs["id"] not in text and "Otherclient" not in text and their_member["id"] not in text
    assert ("therapy_groups", group["id"]) in fresh and ("appointments", session["id"]) in fresh
    renamed = clin.push(clin.change("therapy_groups", group["id"], {"name": [group["name"], "Mine now"]}))
    assert outcomes(renamed) == ["rejected"], renamed

    # The client moves to the facilitator's caseload: the group, its sessions and the client's
    # membership and attendance leave this clinician's devices.
    desk_rows, _, _ = desk.pull_all()
    seq = desk_rows[("clients", mine["id"])]["server_seq"]
    moved = desk.push(desk.change("clients", mine["id"], {"primary_clinician_id": [
        hub.users["clinician"], hub.users["other_clinician"]]}, base=seq))
    assert outcomes(moved) in (["applied"], ["merged"]), moved
    _, drops, _ = clin.pull_all(cursor)
    dropped = {(d["table"], d["row_id"]) for d in drops}
    assert {("therapy_groups", group["id"]), ("appointments", session["id"]), ("group_members", member["id"]),
            ("group_attendance", attendance["id"])} <= dropped
