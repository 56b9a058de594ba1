"""The hub client against a small loopback HTTP server: every failure becomes one sync error."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.errors import (
    AuthExpired,
    DevicePending,
    DeviceRevoked,
    EpochChanged,
    HubRejected,
    HubUnreachable,
    UpdateRequired,
)


class Script:
    """What the fake hub answers next, per path: (status, body) or a callable."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}
        self.seen: list[tuple[str, str, dict[str, Any] | None, str | None]] = []


@pytest.fixture
def fake_hub() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            path = self.path.split("?")[0]
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            script.seen.append((self.command, self.path, body, self.headers.get("Authorization")))
            answer = script.answers.get(path, (404, {"detail": "no"}))
            if callable(answer):
                answer = answer(body, self.headers.get("Authorization"))
            if answer == "sleep":
                time.sleep(1.0)
                return
            if answer == "sse":
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for chunk in (b": keep-alive\n\n", b'data: {"seq": 5}\n\n', b"event: x\ndata: nope\n\n",
                              b'data: {"seq": 9}\n\n'):
                    self.wfile.write(chunk)
                    self.wfile.flush()
                return
            status, payload = answer
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "body", "error"), [
    (426, {"detail": "Update MentalSpace Desktop to version 0.2.0 or later."}, UpdateRequired),
    (403, {"detail": "Revoked.", "code": "device_revoked", "reason": "laptop stolen"}, DeviceRevoked),
    (403, {"detail": {"detail": "Revoked.", "code": "device_revoked"}}, DeviceRevoked),
    (403, {"detail": "Waiting.", "code": "device_pending"}, DevicePending),
    (409, {"detail": "Restored.", "code": "epoch_changed", "epoch": "e2"}, EpochChanged),
    (503, {"detail": "busy"}, HubUnreachable),
    (502, {"detail": "bad gateway"}, HubUnreachable),
    (422, {"detail": "The request is not valid: check changes."}, HubRejected),
])
def test_answers_map_to_errors(fake_hub: tuple[str, Script], status: int, body: dict[str, Any],
                               error: type[Exception]) -> None:
    url, script = fake_hub
    script.answers["/v1/handshake"] = (status, body)
    with pytest.raises(error) as caught:
        HubClient(url, "dev").handshake("0003")
    if isinstance(caught.value, DeviceRevoked) and "reason" in body:
        assert caught.value.reason == "laptop stolen" and "laptop stolen" in caught.value.message
    if isinstance(caught.value, EpochChanged):
        assert caught.value.epoch == "e2"
    if status == 426:
        assert "0.2.0" in caught.value.message  # type: ignore[attr-defined]


def test_no_hub_and_a_silent_hub_are_unreachable(fake_hub: tuple[str, Script]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(HubUnreachable):
        HubClient(f"http://127.0.0.1:{port}", "dev").handshake("0003")
    url, script = fake_hub
    script.answers["/v1/handshake"] = "sleep"
    started = time.monotonic()
    with pytest.raises(HubUnreachable):
        HubClient(url, "dev", read_timeout=0.2).handshake("0003")
    assert time.monotonic() - started < 1.0


def test_refresh_rotates_and_keeps_the_new_token(fake_hub: tuple[str, Script]) -> None:
    url, script = fake_hub
    issued = iter(range(1, 100))

    def refresh(body: dict[str, Any], _auth: str | None) -> tuple[int, dict[str, Any]]:
        n = next(issued)
        return 200, {"access_token": f"a{n}", "refresh_token": f"r{n}", "expires_in": 900}

    expired = {"first": True}

    def me(_body: Any, auth: str | None) -> tuple[int, dict[str, Any]]:
        if expired["first"]:
            expired["first"] = False
            return 401, {"detail": "expired", "code": "token_expired"}
        return 200, {"id": "dev", "status": "approved", "auth": auth}

    script.answers["/v1/auth/refresh"] = refresh
    script.answers["/v1/devices/me"] = me
    kept: list[str] = []
    client = HubClient(url, "dev", refresh_token="r0", on_refresh_token=kept.append)
    assert client.devices_me()["auth"] == "Bearer a2"  # refreshed, expired, refreshed again
    assert kept == ["r1", "r2"] and client.refresh_token == "r2"
    assert [b["refresh_token"] for m, p, b, _ in script.seen if p == "/v1/auth/refresh" and b] == ["r0", "r1"]


def test_a_refused_refresh_means_sign_in_again(fake_hub: tuple[str, Script]) -> None:
    url, script = fake_hub
    script.answers["/v1/auth/refresh"] = (401, {"detail": "token reused", "code": "token_reused"})
    with pytest.raises(AuthExpired):
        HubClient(url, "dev", refresh_token="spent").devices_me()
    with pytest.raises(AuthExpired):
        HubClient(url, "dev").devices_me()  # no token at all


def test_events_yield_sequence_numbers(fake_hub: tuple[str, Script]) -> None:
    url, script = fake_hub
    script.answers["/v1/sync/events"] = "sse"
    client = HubClient(url, "dev")
    client.access_token = "a"
    assert list(client.events(read_timeout=2)) == [5, 9]
