""""Booked twice while offline", decided by the hub: two workstations that each booked the same
provider for the same time both keep their appointment; the hub records the clash once, when the
second arrives, every workstation receives the same item (naming no client), and a move that
clears it resolves it everywhere."""

from __future__ import annotations

import json

from mentalspace_desktop.domain.ids import new_id
from tests.hub.conftest import HubFixture, client_row
from tests.hub.test_schedule_covering import _type
from tests.hub.test_schedule_scopes import appointment, busy, outcomes


def clash_rows(rows: dict[tuple[str, str], dict[str, object]]) -> list[dict[str, object]]:
    return [r for (table, _i), r in rows.items() if table == "schedule_clashes"]


def test_the_hub_records_an_offline_double_booking_once_and_resolves_it(hub: HubFixture) -> None:
    admin, desk_a, desk_b = hub.device("admin"), hub.device("front_desk"), hub.device("front_desk")
    type_id = _type(admin)
    provider = hub.users["clinician"]
    first_client = client_row(clinician=provider, last="Firstbooked")
    second_client = client_row(clinician=provider, last="Secondbooked")
    assert set(outcomes(admin.push(admin.insert("clients", first_client),
                                   admin.insert("clients", second_client)))) == {"applied"}
    # Apart, each desk books the provider at 10:00 for a different client.
    a = appointment(str(first_client["id"]), provider, type_id, 10)
    b = appointment(str(second_client["id"]), provider, type_id, 10, start_at="2026-03-03T15:20:00+00:00",
                    end_at="2026-03-03T16:10:00+00:00")
    assert set(outcomes(desk_a.push(desk_a.insert("appointments", a), desk_a.insert("busy_blocks", busy(a))))) \
        == {"applied"}
    assert clash_rows(desk_a.pull_all()[0]) == []
    assert set(outcomes(desk_b.push(desk_b.insert("appointments", b), desk_b.insert("busy_blocks", busy(b))))) \
        == {"applied"}
    # Both desks learn the same single clash; the provider's own laptop sees it as busy time only.
    seen = []
    for device in (desk_a, desk_b):
        rows, _, _ = device.pull_all()
        (clash,) = clash_rows(rows)
        seen.append(clash["id"])
        assert (clash["first_id"], clash["second_id"], clash["kind"], clash["status"]) == (a["id"], b["id"],
                                                                                          "provider", "open")
    assert seen[0] == seen[1]
    other_laptop, _, _ = hub.device("other_clinician").pull_all()
    (theirs,) = clash_rows(other_laptop)
    text = json.dumps(theirs, default=str)
    assert str(first_client["id"]) not in text and "Firstbooked" not in text and type_id not in text
    # Pushing the same appointment again (an edit that keeps the collision) records nothing new.
    desk_rows, _, cursor = desk_b.pull_all()
    base = desk_rows[("appointments", b["id"])]["server_seq"]
    assert outcomes(desk_b.push(desk_b.change("appointments", b["id"], {"confirmation": ["unconfirmed", "confirmed"]},
                                              base=base))) == ["applied"]
    assert len(clash_rows(desk_b.pull_all()[0])) == 1
    # A workstation cannot write one.
    assert outcomes(desk_a.push(desk_a.change("schedule_clashes", str(seen[0]), {"status": ["open", "resolved"]}))) \
        == ["rejected"]
    # Resolved by moving one away: marked resolved for everyone.
    base = desk_b.pull_all()[0][("appointments", b["id"])]["server_seq"]
    moved = {"start_at": [b["start_at"], "2026-03-03T19:00:00+00:00"],
             "end_at": [b["end_at"], "2026-03-03T19:50:00+00:00"]}
    assert outcomes(desk_b.push(desk_b.change("appointments", b["id"], moved, base=base))) == ["applied"]
    for device in (desk_a, desk_b):
        (clash,) = clash_rows(device.pull_all()[0])
        assert clash["status"] == "resolved" and clash["resolved_at"]
    # An administrator's override with a reason is not a clash.
    c = appointment(str(second_client["id"]), provider, type_id, 10, id=new_id(),
                    override_reason="double-booked on purpose: interpreter present")
    assert outcomes(admin.push(admin.insert("appointments", c))) == ["applied"]
    assert [r["status"] for r in clash_rows(desk_a.pull_all()[0])] == ["resolved"]
