"""The handshake: out-of-range clients are told to update; clock skew is reported, never used."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mentalspace_desktop.store import migrate
from tests.hub.conftest import HubFixture


def shake(hub: HubFixture, **overrides: object) -> object:
    body = {
        "protocol": 1,
        "schema": migrate.head_revision(),
        "app_version": "0.1.0",
        "device_time": datetime.now(UTC).isoformat(),
    }
    body.update(overrides)
    return hub.client.post("/v1/handshake", json=body)


def test_a_current_client_is_served_without_warnings(hub: HubFixture) -> None:
    answer = shake(hub)
    assert answer.status_code == 200
    body = answer.json()
    assert body["protocol"] == 1 and body["schema"] == migrate.head_revision() and body["epoch"]
    assert abs(body["clock_skew_seconds"]) < 60 and body["warnings"] == []
    assert shake(hub, schema="0003").status_code == 200  # an older known schema still syncs


def test_old_or_unknown_clients_must_update(hub: HubFixture) -> None:
    answer = shake(hub, app_version="0.0.9")
    assert answer.status_code == 426
    assert "update MentalSpace Desktop to version 0.1.0 or later" in answer.json()["detail"]
    # protocol 0 was never served: the document's minimum is the oldest protocol, so it is invalid
    assert shake(hub, protocol=0).status_code == 422
    newer = shake(hub, schema="9999")
    assert newer.status_code == 426 and "update the hub" in newer.json()["detail"]


def test_clock_skew_over_five_minutes_is_reported(hub: HubFixture) -> None:
    ahead = shake(hub, device_time=(datetime.now(UTC) + timedelta(minutes=6)).isoformat()).json()
    assert 330 < ahead["clock_skew_seconds"] < 400
    assert "about 6 minutes ahead of" in ahead["warnings"][0]
    behind = shake(hub, device_time=(datetime.now(UTC) - timedelta(days=1)).isoformat()).json()
    assert behind["clock_skew_seconds"] < -86000
    assert "about a day behind" in behind["warnings"][0]
    slight = shake(hub, device_time=(datetime.now(UTC) + timedelta(minutes=4)).isoformat()).json()
    assert slight["warnings"] == []
