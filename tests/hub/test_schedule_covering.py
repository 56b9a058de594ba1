"""A colleague's visit given to a covering clinician reaches that clinician's devices with the client's
name (the appointment, its status history and the client's demographics row — no note, no other
visit), can be run from there, and leaves again when it is given back."""

from __future__ import annotations

import json
from typing import Any

from mentalspace_desktop.domain.ids import new_id
from tests.hub.conftest import HubFixture, client_row
from tests.hub.test_schedule_scopes import appointment, busy, outcomes


def _type(admin: Any) -> str:
    type_id = new_id()
    assert outcomes(admin.push(admin.insert("appointment_types", {
        "id": type_id, "name": "Individual therapy", "category": "individual", "default_minutes": 50,
        "buffer_before": 0, "buffer_after": 10, "color": "#123456", "telehealth_allowed": True,
        "needs_cosign": False, "active": True, "deleted": False}))) == ["applied"]
    return type_id


def test_a_covered_visit_reaches_the_covering_clinician_and_leaves_when_given_back(hub: HubFixture) -> None:
    desk, admin, clin = hub.device("front_desk"), hub.device("admin"), hub.device("clinician")
    away, covering = hub.users["other_clinician"], hub.users["clinician"]
    type_id = _type(admin)
    theirs = client_row(clinician=away, last="Coveredclient")
    visit = appointment(str(theirs["id"]), away, type_id, 10)
    other_visit = appointment(str(theirs["id"]), away, type_id, 14)
    history = {"id": new_id(), "appointment_id": visit["id"], "client_id": theirs["id"], "status": "scheduled",
               "at": "2026-03-01T12:00:00+00:00", "by": desk.user_id, "deleted": False}
    assert set(outcomes(desk.push(
        desk.insert("clients", theirs), desk.insert("appointments", visit), desk.insert("busy_blocks", busy(visit)),
        desk.insert("appointments", other_visit), desk.insert("appointment_status_history", history)))) == {"applied"}
    rows, _, cursor = clin.pull_all()
    assert ("appointments", visit["id"]) not in rows and ("clients", theirs["id"]) not in rows

    # The desk gives the 10:00 visit to the covering clinician.
    answer = desk.push(desk.change("appointments", visit["id"], {"provider_id": [away, covering]}))
    assert outcomes(answer) in (["applied"], ["merged"]), answer
    rows, _, cursor = clin.pull_all(cursor)
    assert rows[("appointments", visit["id"])]["provider_id"] == covering
    assert rows[("clients", theirs["id"])]["last_name"] == "Coveredclient"
    assert ("appointment_status_history", history["id"]) in rows
    assert ("appointments", other_visit["id"]) not in rows  # the away clinician's other visit stays theirs

    # The covering clinician runs it: confirms it and records the status; cannot hand it on.
    seq = rows[("appointments", visit["id"])]["server_seq"]
    confirmed = {"id": new_id(), "appointment_id": visit["id"], "client_id": theirs["id"], "status": "confirmed",
                 "at": "2026-03-02T12:00:00+00:00", "by": covering, "deleted": False}
    answer = clin.push(clin.change("appointments", visit["id"], {"status": ["scheduled", "confirmed"]}, base=seq),
                       clin.insert("appointment_status_history", confirmed))
    assert outcomes(answer)[1] == "applied" and outcomes(answer)[0] in ("applied", "merged"), answer
    answer = clin.push(clin.change("appointments", visit["id"], {"provider_id": [covering, hub.users["supervisor"]]}))
    assert outcomes(answer) == ["rejected"], answer
    sneaky = {**history, "id": new_id(), "appointment_id": other_visit["id"], "status": "cancelled"}
    assert outcomes(clin.push(clin.insert("appointment_status_history", sneaky))) == ["rejected"]

    # Given back: the visit and the client leave the covering clinician's devices.
    desk_rows, _, _ = desk.pull_all()
    answer = desk.push(desk.change("appointments", visit["id"], {"provider_id": [covering, away]},
                                   base=desk_rows[("appointments", visit["id"])]["server_seq"]))
    assert outcomes(answer) in (["applied"], ["merged"]), answer
    rows, drops, _ = clin.pull_all(cursor)
    dropped = {(d["table"], d["row_id"]) for d in drops}
    assert {("appointments", visit["id"]), ("clients", theirs["id"])} <= dropped
    fresh, _, _ = hub.device("clinician").pull_all()
    assert "Coveredclient" not in json.dumps([[t, i, r] for (t, i), r in fresh.items()], default=str)
