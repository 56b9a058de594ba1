"""A tamper-evident journal of the key file's sign-in records: failures, lockouts, queued events.

Failed sign-ins and lockouts must be written before the store can be opened, so they live in the
key file, which anyone holding the files can edit. No secret is available when a failure is written
(that is the point of a failure), so they cannot simply be MACed. Instead:

- **Forward-secure tags.** At each successful sign-in the journal is sealed: a fresh random key
  ``k1`` is wrapped under a key derived from the master key (with the counters as they are then),
  and ``k1`` is also left in the file. Each later event is tagged with the current key, which is then
  replaced by ``SHA-256(key)`` and the old one forgotten. Someone editing the file holds only the
  newest key: they can add events, but cannot change, remove or cut events already written without
  the next sign-in noticing (it re-derives every key from ``k1``).
- **Authority.** An event that lowers a counter or removes a queued event (a sign-in that succeeded,
  an administrator's unlock) also carries a MAC under the master-key-derived key, which only someone
  who opened the store can make. A reset without one is reported.
- **Witness.** The store records that the journal was sealed, so deleting the journal is noticed too.

What it cannot stop: replacing the whole key file with a copy taken before the failures (a copy
made by someone who already held the files). That attacker can also guess passwords offline at the
Argon2id rate (benchmarks/bench_password_guess.py), which no lockout counter can slow.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

WITNESS_KEY = "keyfile_journal"  # sync_state: the journal has been sealed at least once


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _canon(body: dict[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def authority_key(master_key: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, None, b"mentalspace-keyfile-journal").derive(master_key)


def _next(key: bytes) -> bytes:
    return hashlib.sha256(b"mentalspace-journal-ratchet:" + key).digest()


def counters_of(data: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [int(slot.get("failed", 0)), slot.get("locked_until")] for name, slot in data["slots"].items()}


class Journal:
    """Operations on the ``journal`` part of a parsed key file (``data``)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    @property
    def _part(self) -> dict[str, Any]:
        return self.data.setdefault("journal", {"events": []})

    def record(self, body: dict[str, Any], *, authority: bytes | None = None) -> None:
        """Append one event, tagged with the current key, which then moves on."""
        part = self._part
        if "key" not in part:  # never sealed yet (a file made before the journal): start one
            part["key"] = _b64(secrets.token_bytes(32))
        key = base64.b64decode(part["key"])
        event: dict[str, Any] = {"body": body, "tag": hmac.new(key, _canon(body), hashlib.sha256).hexdigest()}
        if authority is not None:
            event["auth"] = hmac.new(authority, _canon(body) + str(len(part["events"])).encode(),
                                     hashlib.sha256).hexdigest()
        part["events"].append(event)
        part["key"] = _b64(_next(key))

    def seal(self, master_key: bytes, store_id: str) -> None:
        """Start a new journal from the file as it is now (after a successful sign-in)."""
        first = secrets.token_bytes(32)
        nonce = secrets.token_bytes(12)
        snapshot = {"k": _b64(first), "counters": counters_of(self.data),
                    "pending": list(self.data.get("pending_audit", []))}
        sealed = AESGCM(authority_key(master_key)).encrypt(nonce, _canon(snapshot), store_id.encode())
        self.data["journal"] = {"seal": {"nonce": _b64(nonce), "wrapped": _b64(sealed)}, "key": _b64(first),
                                "events": []}

    def problems(self, master_key: bytes, store_id: str, *, witnessed: bool) -> list[str]:
        """What was changed in the key file's sign-in records since the last seal, in words."""
        part = self.data.get("journal") or {}
        seal = part.get("seal")
        if seal is None:
            return ["the key file's sign-in journal was removed"] if witnessed else []
        authority = authority_key(master_key)
        try:
            raw = AESGCM(authority).decrypt(base64.b64decode(seal["nonce"]), base64.b64decode(seal["wrapped"]),
                                            store_id.encode())
            snapshot = json.loads(raw)
            key = base64.b64decode(snapshot["k"])
            events = list(part.get("events", []))
        except (InvalidTag, KeyError, TypeError, ValueError):
            return ["the key file's sign-in journal was replaced or damaged"]
        found: list[str] = []
        counters: dict[str, list[Any]] = dict(snapshot["counters"])
        pending: list[Any] = list(snapshot["pending"])
        for index, event in enumerate(events):
            body = event.get("body") or {}
            if not hmac.compare_digest(str(event.get("tag", "")),
                                       hmac.new(key, _canon(body), hashlib.sha256).hexdigest()):
                return [*found, f"sign-in record {index + 1} in the key file was changed or removed"]
            key = _next(key)
            authorised = hmac.compare_digest(
                str(event.get("auth", "")),
                hmac.new(authority, _canon(body) + str(index).encode(), hashlib.sha256).hexdigest())
            found.extend(_replay(body, counters, pending, authorised))
        if base64.b64decode(part.get("key", "")) != key:
            found.append("sign-in records were cut from the end of the key file")
        for name, slot in self.data["slots"].items():
            expected = counters.get(name, [0, None])
            if [int(slot.get("failed", 0)), slot.get("locked_until")] != expected:
                found.append(f"the failed sign-in count or lock of {name!r} was changed by hand")
        if list(self.data.get("pending_audit", [])) != pending:
            found.append("sign-in events waiting for the audit log were removed or changed")
        return found


def _replay(body: dict[str, Any], counters: dict[str, list[Any]], pending: list[Any],
            authorised: bool) -> list[str]:
    """Apply one journaled event to the expected state; what it did without the right to, in words."""
    kind = body.get("kind")
    if kind == "attempts":
        name = str(body.get("user"))
        before = counters.get(name, [0, None])
        after = [int(body.get("failed", 0)), body.get("locked_until")]
        counters[name] = after
        lowered = after[0] < before[0] or (before[1] is not None and after[1] != before[1])
        if lowered and not authorised:
            return [f"the lock or failed sign-in count of {name!r} was reset without anyone signing in"]
    elif kind == "audit":
        pending.append(body.get("event"))
    elif kind == "cleared":
        del pending[: int(body.get("count", 0))]
        if not authorised:
            return ["sign-in events waiting for the audit log were removed without anyone signing in"]
    elif kind == "rename":
        counters[str(body.get("new"))] = counters.pop(str(body.get("old")), [0, None])
    return []
