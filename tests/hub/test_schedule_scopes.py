"""The schedule on the hub: a clinician's devices receive colleagues' visits only as busy/free blocks.

DESIGN.md, Security model: schedule "rw own, busy/free others" for clinicians. The raw JSON of every
page a clinician's device pulls is searched for the other provider's client (id and name) and the
visit's rows; pushes that reach into another provider's time are refused with a reason.
"""

from __future__ import annotations

import json
from typing import Any

from mentalspace_desktop.domain.ids import new_id
from tests.hub.conftest import HubFixture, client_row

TYPE_NAME = "Couples intensive"


def outcomes(answer: dict[str, Any]) -> list[str]:
    return [r["outcome"] for r in answer["results"]]


def appointment(client_id: str | None, provider: str, type_id: str, hour: int, **extra: Any) -> dict[str, Any]:
    row = {"id": new_id(), "client_id": client_id, "provider_id": provider, "type_id": type_id,
           "start_local": f"2026-03-03T{hour:02d}:00:00", "time_zone": "America/New_York",
           "start_at": f"2026-03-03T{hour + 5:02d}:00:00+00:00", "end_at": f"2026-03-03T{hour + 5:02d}:50:00+00:00",
           "buffer_before": 0, "buffer_after": 10, "status": "scheduled", "late_cancel": False,
           "telehealth": False, "confirmation": "unconfirmed", "deleted": False}
    row.update(extra)
    return row


def busy(appt: dict[str, Any]) -> dict[str, Any]:
    return {"id": appt["id"], "provider_id": appt["provider_id"], "start_at": appt["start_at"],
            "end_at": appt["end_at"], "buffer_before": 0, "buffer_after": 10, "kind": "appointment",
            "active": True, "deleted": False}


def test_a_clinician_receives_colleagues_visits_as_busy_blocks_only(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    admin = hub.device("admin")
    type_id = new_id()
    answer = admin.push(admin.insert("appointment_types", {
        "id": type_id, "name": TYPE_NAME, "category": "couples", "default_minutes": 50, "buffer_before": 0,
        "buffer_after": 10, "color": "#123456", "telehealth_allowed": True, "needs_cosign": False, "active": True,
        "deleted": False}))
    assert outcomes(answer) == ["applied"]
    mine = client_row(clinician=hub.users["clinician"], last="Mineclient")
    theirs = client_row(clinician=hub.users["other_clinician"], last="Theirclient")
    a_mine = appointment(str(mine["id"]), hub.users["clinician"], type_id, 10)
    a_theirs = appointment(str(theirs["id"]), hub.users["other_clinician"], type_id, 11)
    history = {"id": new_id(), "appointment_id": a_theirs["id"], "client_id": theirs["id"], "status": "scheduled",
               "at": "2026-03-01T12:00:00+00:00", "by": desk.user_id, "deleted": False}
    answer = desk.push(desk.insert("clients", mine), desk.insert("clients", theirs),
                       desk.insert("appointments", a_mine), desk.insert("busy_blocks", busy(a_mine)),
                       desk.insert("appointments", a_theirs), desk.insert("busy_blocks", busy(a_theirs)),
                       desk.insert("appointment_status_history", history))
    assert set(outcomes(answer)) == {"applied"}, answer

    clin = hub.device("clinician")
    rows, _, _ = clin.pull_all()
    assert ("appointments", a_mine["id"]) in rows and ("busy_blocks", a_theirs["id"]) in rows
    assert ("appointments", a_theirs["id"]) not in rows
    assert ("appointment_status_history", history["id"]) not in rows
    everything = json.dumps([[t, i, r] for (t, i), r in rows.items()], default=str)
    assert theirs["id"] not in everything and "Theirclient" not in everything
    # The front desk holds both in full.
    desk_rows, _, _ = desk.pull_all()
    assert ("appointments", a_theirs["id"]) in desk_rows


def test_pushes_into_another_providers_time_are_refused(hub: HubFixture) -> None:
    clin = hub.device("clinician")
    other = hub.users["other_clinician"]
    block = {"id": new_id(), "provider_id": other, "start_at": "2026-03-03T15:00:00+00:00",
             "end_at": "2026-03-03T16:00:00+00:00", "buffer_before": 0, "buffer_after": 0, "kind": "imported",
             "active": True, "deleted": False}
    off = {"id": new_id(), "provider_id": other, "start_at": "2026-03-03T15:00:00+00:00",
           "end_at": "2026-03-04T15:00:00+00:00", "status": "approved", "deleted": False}
    answer = clin.push(clin.insert("busy_blocks", block), clin.insert("time_off", off))
    assert outcomes(answer) == ["rejected", "rejected"], answer
    own = {**block, "id": new_id(), "provider_id": clin.user_id}
    assert outcomes(clin.push(clin.insert("busy_blocks", own))) == ["applied"]
