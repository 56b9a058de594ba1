"""The supervision log on the hub: an associate's devices receive their own sessions, their supervisor's
their team's, nobody else's; only the supervisor (or an administrator) writes them; a signed one is frozen."""

from __future__ import annotations

from typing import Any

from mentalspace_desktop.domain.ids import new_id
from tests.hub.conftest import HubFixture


def session_row(hub: HubFixture, supervisee: str, **extra: Any) -> dict[str, Any]:
    row = {"id": new_id(), "supervisor_id": hub.users["supervisor"], "supervisee_id": hub.users[supervisee],
           "held_on": "2026-11-03", "minutes": 60, "kind": "individual", "topics": "sealed:v1:x",
           "signed_at": None, "signed_by": None, "deleted": False}
    row.update(extra)
    return row


def test_each_sees_their_own_and_the_supervisor_their_teams(hub: HubFixture) -> None:
    sup = hub.device("supervisor")
    mine = session_row(hub, "clinician")
    answer = sup.push(sup.insert("supervision_sessions", mine))
    assert [r["outcome"] for r in answer["results"]] == ["applied"], answer
    admin = hub.device("admin")
    other = session_row(hub, "other_clinician")  # an administrator records it (not on this team)
    assert [r["outcome"] for r in admin.push(admin.insert("supervision_sessions", other))["results"]] == ["applied"]
    seen = {key: {row_id for (table, row_id) in hub.device(key).pull_all()[0] if table == "supervision_sessions"}
            for key in ("clinician", "other_clinician", "supervisor", "front_desk", "billing")}
    assert seen["clinician"] == {mine["id"]} and seen["other_clinician"] == {other["id"]}
    assert seen["supervisor"] == {mine["id"]}
    assert seen["front_desk"] == set() and seen["billing"] == set()


def test_an_associate_cannot_write_their_own_log_and_a_signed_session_is_frozen(hub: HubFixture) -> None:
    clin = hub.device("clinician")
    answer = clin.push(clin.insert("supervision_sessions", session_row(hub, "clinician")))
    assert [r["outcome"] for r in answer["results"]] == ["rejected"], answer
    sup = hub.device("supervisor")
    signed = session_row(hub, "clinician", signed_at="2026-11-03T20:00:00+00:00", signed_by=hub.users["supervisor"])
    assert [r["outcome"] for r in sup.push(sup.insert("supervision_sessions", signed))["results"]] == ["applied"]
    rows, _, _ = sup.pull_all()
    base = rows[("supervision_sessions", signed["id"])]["server_seq"]
    answer = sup.push(sup.change("supervision_sessions", signed["id"], {"minutes": [60, 120]}, base=base))
    assert [r["outcome"] for r in answer["results"]] == ["rejected"], answer
