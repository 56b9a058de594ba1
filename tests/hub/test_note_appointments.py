"""A note's appointment on the hub (the foreign key of migration 0015): a note naming an appointment
the hub does not hold, or another client's, is refused with words its author can act on (never a
5xx), a note and its appointment pushed together both land, and a client changing hands reaches its
new clinician appointment first, note after, even one row per page."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.ids import new_id
from tests.hub.conftest import DeviceClient, HubFixture, client_row
from tests.hub.test_notes_scopes import body_row, note_row, outcomes
from tests.hub.test_schedule_scopes import appointment


def _type(hub: HubFixture) -> str:
    admin = hub.device("admin")
    type_id = new_id()
    answer = admin.push(admin.insert("appointment_types", {
        "id": type_id, "name": "Psychotherapy 53", "category": "individual", "default_minutes": 53,
        "buffer_before": 0, "buffer_after": 7, "color": "#123456", "telehealth_allowed": True,
        "needs_cosign": False, "active": True, "deleted": False}))
    assert outcomes(answer) == ["applied"]
    return type_id


def _order(device: DeviceClient, cursor: str) -> list[tuple[str, str]]:
    """Rows in the order a workstation applies them, pulling one row per page."""
    seen: list[tuple[str, str]] = []
    while True:
        response = device.get("/v1/sync/pull", params={"cursor": cursor, "limit": 1})
        assert response.status_code == 200, response.text
        page: dict[str, Any] = response.json()
        seen.extend((item["table"], item["row_id"]) for item in page["rows"])
        cursor = page["cursor"]
        if not page["more"]:
            return seen


def test_a_note_names_only_an_appointment_of_its_own_client(hub: HubFixture) -> None:
    type_id = _type(hub)
    clin, other = hub.device("clinician"), hub.device("other_clinician")
    desk = hub.device("front_desk")
    mine = client_row(clinician=clin.user_id, last="Linked")
    theirs = client_row(clinician=other.user_id, last="Elsewhere")
    visit = appointment(str(mine["id"]), clin.user_id, type_id, 9, status="completed")
    their_visit = appointment(str(theirs["id"]), other.user_id, type_id, 10)
    assert set(outcomes(desk.push(desk.insert("clients", mine), desk.insert("clients", theirs),
                                  desk.insert("appointments", their_visit)))) == {"applied"}

    # Offline on the laptop: the session booked there, then its note, in one batch.
    linked = note_row(str(mine["id"]), clin.user_id, appointment_id=visit["id"])
    made_up = note_row(str(mine["id"]), clin.user_id, appointment_id=new_id())
    crossed = note_row(str(mine["id"]), clin.user_id, appointment_id=their_visit["id"])
    answer = clin.push(clin.insert("appointments", visit), clin.insert("notes", linked),
                       clin.insert("note_bodies", body_row(linked, "kept")),
                       clin.insert("notes", made_up), clin.insert("notes", crossed))
    assert outcomes(answer) == ["applied", "applied", "applied", "rejected", "rejected"], answer
    assert "appointment the hub does not hold" in answer["results"][3]["reason"]
    assert "another client" in answer["results"][4]["reason"]
    # An update that re-points a note is checked the same way.
    seq = answer["results"][1]["server_seq"]
    moved = clin.push(clin.change("notes", linked["id"], {"appointment_id": [visit["id"], new_id()]}, base=seq))
    assert outcomes(moved) == ["rejected"] and "does not hold" in moved["results"][0]["reason"]

    # The client changes hands: the new clinician's workstation gets the visit before the note.
    _, _, cursor = other.pull_all()
    held = dict(((t, r), None) for t, r in _order(clin, ""))
    assert ("appointments", visit["id"]) in held
    client_seq = desk.pull_all()[0][("clients", mine["id"])]["server_seq"]
    assert outcomes(desk.push(desk.change("clients", str(mine["id"]), {
        "primary_clinician_id": [clin.user_id, other.user_id]}, base=client_seq))) == ["applied"]
    order = _order(other, cursor)
    assert order.index(("appointments", visit["id"])) < order.index(("notes", linked["id"]))
