"""Bad input is answered 4xx with a reason, in the one error shape the OpenAPI document describes.

The cases the outside fuzzing found as server errors (NUL in a sign-in name, a sync-log error or a
workstation key; integers beyond what a column holds) are refused before they reach a service, on
SQLite and on PostgreSQL. The schemathesis run in ``test_fuzz.py`` covers the rest of the space.
"""

from __future__ import annotations

from typing import Any

import pytest

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.schemas import MAX_INT32, MAX_SAFE_INT
from mentalspace_desktop.sync.tables import TABLES
from tests.hub.conftest import HubFixture, client_row


def assert_refused(answer: Any, field: str, words: str = "") -> None:
    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert body["code"] == "invalid_request"
    assert field in body["fields"], body
    assert field in body["detail"] and words in body["detail"], body
    assert "\x00" not in answer.text and "\\u0000" not in answer.text  # the value is never echoed


LOGIN = {"username": "front.desk", "password": "x", "code": "123456", "device_id": "d-1"}


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("username", "a\x00", "control characters"),
        ("password", "pass\x00word", "control characters"),
        ("device_name", "desk\nname", "control characters"),
        ("device_id", "", "at least 1"),
        ("device_id", "x" * 37, "at most 36"),
        ("code", "12 34", "printable"),
        ("app_version", "٣.٠", "a version such as"),  # Arabic-Indic digits: "digits", but not ones the hub compares
    ],
)
def test_a_sign_in_with_a_bad_field_is_refused_with_the_field_named(
    hub: HubFixture, field: str, value: str, words: str
) -> None:
    assert_refused(hub.client.post("/v1/auth/login", json={**LOGIN, field: value}), field, words)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("rows_new", 99_999_999_999, f"less than or equal to {MAX_INT32}"),
        ("pushed", -1, "greater than or equal to 0"),
        ("error", "failed\x00", "control characters"),
        ("ok", 0, "boolean"),
        ("duration_ms", True, "integer"),
        ("started_at", 0, "ISO-8601"),
        ("started_at", "0001-01-01T00:00:00+01:00", "1900"),
        ("kind", "SYNC!", "lower-case letters"),
    ],
)
def test_a_sync_log_entry_out_of_bounds_is_refused(hub: HubFixture, field: str, value: Any, words: str) -> None:
    desk = hub.device("front_desk")
    assert_refused(desk.post("/v1/sync/log", json={field: value}), field, words)


def test_a_sync_log_entry_keeps_its_line_breaks(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    answer = desk.post("/v1/sync/log", json={"error": "push failed\n\tat page 2", "ok": False})
    assert answer.status_code == 200, answer.text
    assert answer.json()["error"] == "push failed\n\tat page 2"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"device_seq": 2**63}, "changes.0.device_seq", f"less than or equal to {MAX_SAFE_INT}"),
        ({"device_seq": 0}, "changes.0.device_seq", "greater than or equal to 1"),
        ({"base_server_seq": False}, "changes.0.base_server_seq", "integer"),
        ({"change_id": ""}, "changes.0.change_id", "at least 1"),
        ({"table": "Clients; drop"}, "changes.0.table", "lower-case letters"),
        ({"changes": {"last_name": [None, "Ri\x00vera"]}}, "changes.0.changes.last_name.1", "control characters"),
        ({"changes": {"last_name": [None]}}, "changes.0.changes.last_name", "at least 2"),
        ({"changes": {"dob": [None, 2**64]}}, "changes.0.changes.dob.1", "whole number"),
        ({"changes": {"dob": [None, {"nested": 1}]}}, "changes.0.changes.dob.1", "text, a number"),
        ({"author_id": "a\x00"}, "changes.0.author_id", "control characters"),
    ],
)
def test_a_pushed_change_out_of_bounds_is_refused_and_nothing_is_applied(
    hub: HubFixture, change: dict[str, Any], field: str, words: str
) -> None:
    desk = hub.device("front_desk")
    entry = {**desk.insert("clients", client_row()), **change}
    assert_refused(desk.post("/v1/sync/push", json={"changes": [entry]}), field, words)
    assert desk.get("/v1/devices/me").json()["last_device_seq"] == 0


def test_a_change_with_text_values_and_line_breaks_still_applies(hub: HubFixture) -> None:
    desk = hub.device("front_desk")
    answer = desk.push(desk.insert("clients", client_row(last="O'Brien\tSmith")))
    assert answer["results"][0]["outcome"] == "applied", answer


@pytest.mark.parametrize("key", ["k" * 39, "a\x00" * 22, "é" * 44])
def test_a_workstation_key_that_is_not_base64_is_refused(hub: HubFixture, key: str) -> None:
    desk = hub.device("front_desk")
    answer = desk.hub.client.put("/v1/devices/me/key", json={"key": key}, headers=desk.headers)
    assert_refused(answer, "key")


def test_bad_query_and_path_values_are_refused(hub: HubFixture) -> None:
    admin = hub.device("admin")
    assert_refused(admin.get("/v1/sync/pull", params={"cursor": "a b"}), "query.cursor", "printable")
    assert_refused(admin.get("/v1/sync/pull", params={"limit": 0}), "query.limit")
    assert_refused(admin.post("/v1/devices/" + "x" * 40 + "/approve"), "path.device_id")


def test_a_handshake_protocol_below_the_oldest_served_is_invalid_and_a_newer_one_asks_for_an_update(
    hub: HubFixture,
) -> None:
    hello = {"protocol": 1, "schema": "0004", "app_version": "0.1.0"}
    assert_refused(hub.client.post("/v1/handshake", json={**hello, "protocol": 0}), "protocol")
    assert_refused(hub.client.post("/v1/handshake", json={**hello, "protocol": "1"}), "protocol")
    newer = hub.client.post("/v1/handshake", json={**hello, "protocol": 2})
    assert newer.status_code == 426 and newer.json()["code"] == "update_required", newer.text


def test_a_body_that_is_not_utf8_json_is_a_documented_400(hub: HubFixture) -> None:
    answer = hub.client.post(
        "/v1/auth/login", content=b"\xff\xfe{", headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400 and answer.json()["code"] == "bad_body", answer.text
    not_json = hub.client.post("/v1/auth/login", content=b"{", headers={"Content-Type": "application/json"})
    assert_refused(not_json, "1", "not valid JSON")


def test_the_document_describes_every_error_status_with_the_one_error_body(hub: HubFixture) -> None:
    document = hub.client.get("/openapi.json").json()
    error = {"$ref": "#/components/schemas/ErrorOut"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    expected = {
        ("post", "/v1/auth/login"): {"400", "401", "403", "422"},
        ("post", "/v1/handshake"): {"400", "401", "403", "422", "426"},
        ("get", "/v1/sync/pull"): {"400", "401", "403", "409", "422"},
        ("post", "/v1/sync/push"): {"400", "401", "403", "409", "422"},
        ("post", "/v1/devices/{device_id}/approve"): {"401", "403", "404", "409", "422"},
        ("get", "/v1/devices"): {"401", "403"},
    }
    for (method, path), statuses in expected.items():
        answers = document["paths"][path][method]["responses"]
        assert set(answers) - {"200"} == statuses, (path, sorted(answers))
        for status in statuses:
            assert answers[status]["content"]["application/json"]["schema"] == error, (path, status)
    handshake = document["paths"]["/v1/handshake"]["post"]
    assert {} in handshake["security"]  # a token is optional there
    protocol = document["components"]["schemas"]["HandshakeIn"]["properties"]["protocol"]
    assert protocol["minimum"] == 1  # what the handshake serves, not 0


ODD_VALUES = [MAX_SAFE_INT, -MAX_SAFE_INT, 1e300, -1.5, "x" * 3000, "", True, "2026-13-45", "ü", None]


def test_odd_values_in_every_field_of_every_table_are_answered_never_a_server_error(hub: HubFixture) -> None:
    """What the document allows for a field's value, in every column the hub keeps: each change is
    applied or refused with a reason, and the hub never fails (PostgreSQL is the stricter here)."""
    admin = hub.device("admin")
    for table in TABLES:
        columns = repo.columns_of(repo.model_for(table))
        changes = [
            admin.change(table, new_id(), {column: [None, value]}, op=op)
            for column in columns
            for value in ODD_VALUES
            for op in ("insert", "update")
        ]
        answer = admin.post("/v1/sync/push", json={"changes": changes})
        assert answer.status_code == 200, (table, answer.text[:500])
        outcomes = {r["outcome"] for r in answer.json()["results"]}
        assert outcomes <= {"applied", "rejected", "conflict"}, (table, outcomes)
