"""The outcome-timing rule on pushed rows: the hub refuses, with the rule's words, a pushed visit (or
status-history row) that records a check-in more than 2 h ahead, or "completed"/"no-show" before the
start — by its own clock, whatever the workstation's says — and accepts the same rows once the visit
has started, a stale outcome it already holds, and an outcome within the clock-skew allowance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.hub.conftest import DeviceClient, HubFixture, client_row
from tests.hub.test_notes_scopes import outcomes
from tests.hub.test_schedule_scopes import appointment


def _visit(hub: HubFixture, desk: DeviceClient, start: datetime, **extra: Any) -> dict[str, Any]:
    """A visit of a registered client at ``start`` (UTC), as a row (not pushed)."""
    admin = hub.device("admin")
    type_id = new_id()
    assert outcomes(admin.push(admin.insert("appointment_types", {
        "id": type_id, "name": "Psychotherapy 53", "category": "individual", "default_minutes": 53,
        "buffer_before": 0, "buffer_after": 7, "color": "#123456", "telehealth_allowed": True,
        "needs_cosign": False, "active": True, "deleted": False}))) == ["applied"]
    client = client_row(clinician=hub.users["clinician"], last="Timing")
    assert outcomes(desk.push(desk.insert("clients", client))) == ["applied"]
    row = appointment(str(client["id"]), hub.users["clinician"], type_id, 9, **extra)
    row["start_at"] = start.isoformat()
    row["end_at"] = (start + timedelta(minutes=53)).isoformat()
    return row


def _history(visit: dict[str, Any], status: str, by: str) -> dict[str, Any]:
    return {"id": new_id(), "appointment_id": visit["id"], "client_id": visit["client_id"], "status": status,
            "at": datetime.now(UTC).isoformat(), "by": by, "deleted": False}


def _status(hub: HubFixture, row_id: str) -> str:
    with hub.session() as s:
        return str(s.get(Appointment, row_id).status)


def test_an_outcome_before_the_visit_is_refused_with_the_rules_words(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    visit = _visit(hub, desk, start)
    answer = desk.push(desk.insert("appointments", visit))
    assert outcomes(answer) == ["applied"]
    seq = answer["results"][0]["server_seq"]

    completed = desk.push(desk.change("appointments", visit["id"], {"status": ["scheduled", "completed"]},
                                      base=seq),
                          desk.insert("appointment_status_history", _history(visit, "completed", desk.user_id)))
    assert outcomes(completed) == ["rejected", "rejected"], completed
    reason = completed["results"][0]["reason"]
    assert "can be marked completed once it has started" in reason and "clock" in reason
    assert "once it has started" in completed["results"][1]["reason"]
    no_show = desk.push(desk.change("appointments", visit["id"], {"status": ["scheduled", "no_show"]}, base=seq))
    assert outcomes(no_show) == ["rejected"] and "marked no-show" in no_show["results"][0]["reason"]
    checked_in = desk.push(desk.change("appointments", visit["id"], {"status": ["scheduled", "checked_in"]},
                                       base=seq))
    assert outcomes(checked_in) == ["rejected"] and "can be checked in from" in checked_in["results"][0]["reason"]
    assert _status(hub, visit["id"]) == "scheduled"  # the hub kept the visit as it was

    # A new row that arrives already "no-show" is refused the same way; a harmless status is not.
    early = _visit(hub, desk, start + timedelta(hours=2), status="no_show")
    assert outcomes(desk.push(desk.insert("appointments", early))) == ["rejected"]
    confirmed = desk.push(desk.change("appointments", visit["id"], {"status": ["scheduled", "confirmed"]},
                                      base=seq),
                          desk.insert("appointment_status_history", _history(visit, "confirmed", desk.user_id)))
    assert outcomes(confirmed) == ["applied", "applied"]


def test_a_started_visit_takes_its_outcome_and_a_done_visit_cannot_move_ahead(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    visit = _visit(hub, desk, start)
    seq = desk.push(desk.insert("appointments", visit))["results"][0]["server_seq"]
    done = desk.push(desk.change("appointments", visit["id"], {"status": ["scheduled", "completed"]}, base=seq),
                     desk.insert("appointment_status_history", _history(visit, "completed", desk.user_id)))
    assert outcomes(done) == ["applied", "applied"], done
    seq = done["results"][0]["server_seq"]
    later = start + timedelta(days=7)
    moved = desk.push(desk.change("appointments", visit["id"], {
        "start_at": [visit["start_at"], later.isoformat()],
        "end_at": [visit["end_at"], (later + timedelta(minutes=53)).isoformat()]}, base=seq))
    assert outcomes(moved) == ["rejected"] and "once it has started" in moved["results"][0]["reason"]
    # An edit that leaves the outcome and the time alone is not checked again.
    seq = desk.push(desk.change("appointments", visit["id"], {"telehealth": [False, True]}, base=seq))
    assert outcomes(seq) == ["applied"]


def test_an_outcome_at_the_start_on_a_clock_slightly_ahead_is_kept(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=2)
    visit = _visit(hub, desk, start, status="no_show")
    assert outcomes(desk.push(desk.insert("appointments", visit))) == ["applied"]
    too_soon = _visit(hub, desk, start + timedelta(minutes=10), status="no_show")
    assert outcomes(desk.push(desk.insert("appointments", too_soon))) == ["rejected"]


def test_attendance_before_the_group_session_is_refused_a_cancellation_is_kept(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)
    session = _visit(hub, desk, start)
    session["client_id"] = None
    group = {"id": new_id(), "name": "Tuesday anxiety group", "type_id": session["type_id"],
             "facilitator_id": hub.users["clinician"], "capacity": 8, "enrollment": "open",
             "screening_required": False, "deleted": False}
    session["group_id"] = group["id"]
    client = client_row(clinician=hub.users["clinician"], last="Member")
    member = {"id": new_id(), "group_id": group["id"], "client_id": client["id"], "status": "approved",
              "deleted": False}
    assert set(outcomes(desk.push(desk.insert("therapy_groups", group), desk.insert("appointments", session),
                                  desk.insert("clients", client), desk.insert("group_members", member)))) == {
        "applied"}

    def mark(status: str) -> dict[str, Any]:
        return {"id": new_id(), "group_id": group["id"], "appointment_id": session["id"], "client_id": client["id"],
                "status": status, "recorded_by": desk.user_id, "recorded_at": datetime.now(UTC).isoformat(),
                "deleted": False}

    early = desk.push(desk.insert("group_attendance", mark("attended")),
                      desk.insert("group_attendance", mark("absent")))
    assert outcomes(early) == ["rejected", "rejected"]
    assert all("once it has started" in r["reason"] for r in early["results"])
    cancelled = mark("cancelled")
    answer = desk.push(desk.insert("group_attendance", cancelled))
    assert outcomes(answer) == ["applied"]
    changed = desk.push(desk.change("group_attendance", cancelled["id"], {"status": ["cancelled", "attended"]},
                                    base=answer["results"][0]["server_seq"]))
    assert outcomes(changed) == ["rejected"]


def test_a_row_without_status_or_start_is_left_to_the_databases_checks(hub: HubFixture) -> None:
    """A crafted insert missing its status takes the default ("scheduled"); one missing its start is
    refused as incomplete — an answer either way, never a server error."""
    desk = hub.device("front_desk")
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    no_status = _visit(hub, desk, start)
    del no_status["status"]
    assert outcomes(desk.push(desk.insert("appointments", no_status))) == ["applied"]
    assert _status(hub, no_status["id"]) == "scheduled"
    no_start = _visit(hub, desk, start, status="completed")
    del no_start["start_at"]
    answer = desk.push(desk.insert("appointments", no_start))
    assert outcomes(answer) == ["rejected"] and "required field" in answer["results"][0]["reason"]
    unknown = _visit(hub, desk, start, status="finished")
    answer = desk.push(desk.insert("appointments", unknown))
    assert outcomes(answer) == ["rejected"] and "appointment status 'finished'" in answer["results"][0]["reason"]
