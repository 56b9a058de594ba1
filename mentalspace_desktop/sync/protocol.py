"""The sync protocol between a desktop store and the hub: versions, messages, cursors.

Plain JSON over HTTPS; this module has no web-framework imports so the desktop can use it. The
hub's FastAPI schemas mirror these shapes.

Handshake — ``POST /v1/handshake`` ``{"protocol": 1, "schema": "0003", "app_version": "0.1.0",
"device_time": ISO-8601}`` → ``{"protocol": 1, "schema": "0003", "epoch": str, "server_time": ISO,
"clock_skew_seconds": float, "warnings": [str]}``; an unsupported client gets HTTP 426 with
``{"detail": "...update MentalSpace Desktop to version X or later..."}``.

Auth — ``POST /v1/auth/login`` ``{"username", "password", "code", "device_id", "device_name",
"app_version"}`` → ``{"access_token", "refresh_token", "expires_in", "device_status", "user": {...}}``.
A device the hub has not seen is created as ``pending``; a pending device's token is good only for
``GET /v1/devices/me``. ``POST /v1/auth/refresh`` ``{"refresh_token", "device_id"}`` rotates: the old
token is spent; presenting a spent token again revokes the whole family (stolen-token detection).
Lockout rules of the desktop apply to hub logins too. Access tokens live 15 minutes.

Devices — ``GET /v1/devices/me`` → ``{"id", "status", "reason"}``; administrators:
``GET /v1/devices``, ``POST /v1/devices/{id}/approve``, ``POST /v1/devices/{id}/revoke`` ``{"reason"}``,
``POST /v1/devices/{id}/remove-person`` ``{"user"}``. ``GET /v1/devices/me/audit?after=N``: the
device's own audit entries after N (a restored store continues its chain from them). Access tokens
name their refresh-token family: revoking it (a reused refresh token), the device or the account, or
removing the person from the device, refuses the token at its next request.
Any call from a revoked device answers HTTP 403 ``{"detail": ..., "code": "device_revoked"}``; the
desktop then destroys its key slots and tells the user why.

Push — ``POST /v1/sync/push`` ``{"changes": [Change...]}`` with changes in device-sequence order;
each names its author, who must work on this device (signed in there through the hub, or created
there by an administrator), carries the author's signature made with the key they registered for
this device at a hub sign-in (``signing_key`` in the login request), and is held to their own
permissions; a result's ``row`` is only ever one this device may hold;
the hub applies the batch in one transaction that also records the device's last applied
``device_seq`` and every change id it answered. A change id answered before gets the same answer
again (``duplicate``, or ``rejected`` with its reason) and is never applied twice; a sequence number
alone never decides that. The other changes must follow on from the last ``device_seq`` (a device
that has never pushed may start anywhere): new work under a number already used answers HTTP 409
``{"code": "device_seq_behind", "last_device_seq": n}`` (a store restored from a backup: it renumbers
its waiting changes after ``n``), a jump answers 409 ``{"code": "device_seq_gap", ...}`` (a hub restored
from a backup: the device sends again what came after ``n``); neither applies anything or moves the
last sequence. → ``{"results": [Result...], "last_device_seq": int}``. A rejection still advances the
queue. Every row a push writes is held by the device from then on (see Pull's drops).

Pull — ``GET /v1/sync/pull?cursor=C&limit=N`` → ``{"rows": [PulledRow...], "drops": [{"table",
"row_id"}], "cursor": C2, "more": bool, "epoch": str, "watermark": int}``. The device applies the
page and ``cursor`` in one transaction (a checkpoint), so an interrupted first sync resumes. A
cursor of another epoch answers HTTP 409 ``{"code": "epoch_changed", "epoch": new}``: the device
pushes its outbox, then starts again from an empty cursor (a fresh snapshot). The cursor also carries
a fingerprint of who works on the device and in which role; when that changed (a first sign-in there,
a person removed from it, an account closed, a role changed) the pull answers 409 ``{"code":
"scope_changed"}`` and the device takes a fresh snapshot the same way (no new epoch for the hub).
A page ends wherever the change log reaches ``limit``, so a row may come a page before the row it
refers to (a covered visit before its client's re-scope entry): the device keeps such a row aside,
with the checkpoint, and applies it with the page that brings its parent (``sync/parked.py``).

Live — ``GET /v1/sync/events`` is a server-sent event stream; each event's data is
``{"seq": newest committed seq}``. The device pulls when it sees a number above its cursor.

Sync log — ``POST /v1/sync/log`` ``{SyncRun fields}`` records the device's run on the hub;
administrators read every device's runs with ``GET /v1/sync/log``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, TypedDict

PROTOCOL_VERSION = 1
MIN_PROTOCOL_VERSION = 1
MIN_APP_VERSION = "0.1.0"
CLOCK_SKEW_WARNING_SECONDS = 300
ACCESS_TOKEN_SECONDS = 15 * 60
REFRESH_TOKEN_DAYS = 30
PUSH_BATCH_SIZE = 200
PULL_PAGE_SIZE = 1000


class Change(TypedDict):
    """One outbox entry as pushed."""

    device_seq: int
    change_id: str
    table: str
    row_id: str
    op: str  # insert, update, delete
    base_server_seq: int | None
    changes: dict[str, list[Any]]  # field -> [old, new]
    schema_version: str
    author_id: str | None  # who made it; the hub checks it against the staff who work on this device
    signature: str | None  # the author's signature (store/signing.py); the hub refuses a change without


class Result(TypedDict, total=False):
    device_seq: int
    change_id: str
    outcome: str  # applied, merged, conflict, rejected, duplicate (domain.merge.Outcome)
    server_seq: int | None
    reason: str
    row: dict[str, Any] | None  # the hub's row after the change (lets the device converge at once)
    conflict_ids: list[str]


class PulledRow(TypedDict):
    table: str
    row_id: str
    server_seq: int
    row: dict[str, Any]


@dataclass(frozen=True)
class Cursor:
    """Where a device is in the hub's change log. Opaque to the device: it stores the string."""

    epoch: str
    seq: int
    scope: str = ""  # who worked on the device when the cursor was issued (hub/services/scopes.staff_key)

    def encode(self) -> str:
        fields: dict[str, Any] = {"e": self.epoch, "s": self.seq}
        if self.scope:
            fields["g"] = self.scope
        raw = json.dumps(fields, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        """Raises ValueError for anything that is not a cursor this hub issued."""
        try:
            padded = text + "=" * (-len(text) % 4)
            data = json.loads(base64.urlsafe_b64decode(padded.encode()))
            return cls(str(data["e"]), int(data["s"]), str(data.get("g") or ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"not a sync cursor: {text!r}") from exc


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
