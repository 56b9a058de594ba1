"""Key slots: the store's master key, wrapped once per user with a key derived from their password.

The SQLCipher database is opened with a random 256-bit master key used as a raw key. That key is
never written in the clear: each enrolled user has a slot holding it encrypted (AES-256-GCM) under a
key derived from their password with Argon2id. A wrong password fails the GCM tag check. Changing a
password re-wraps only that user's slot.

The slot file also keeps, per user, the failed sign-in count and lock (they must be readable before
the database can be opened) and sign-in events not yet copied into the audit log.

A workstation connected to a practice hub has one more slot, the device slot: the master key wrapped
under a random secret that only the hub keeps (sync/device_key.py). The hub hands that secret to a
staff member who signs in there for the first time with password and code, and their own slot is
made from it; a stolen laptop without a user's password and without the hub stays unreadable.

Several objects (the signed-in session, a sync worker, the command line) may hold the same file:
every change re-reads it first, under a lock, so none overwrites what another wrote.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mentalspace_desktop.domain.lockout import AttemptState
from mentalspace_desktop.errors import AccountInactive, AuthenticationError, StoreCorrupt
from mentalspace_desktop.store.engine import CURRENT_HMAC, LEGACY_HMAC
from mentalspace_desktop.store.files import write_atomically

FORMAT = 1
MASTER_KEY_BYTES = 32


@dataclass(frozen=True)
class KdfParams:
    time_cost: int = 3
    memory_cost_kib: int = 65536
    parallelism: int = 2

    def derive(self, password: str, salt: bytes) -> bytes:
        return hash_secret_raw(
            password.encode(),
            salt,
            time_cost=self.time_cost,
            memory_cost=self.memory_cost_kib,
            parallelism=self.parallelism,
            hash_len=32,
            type=Type.ID,
        )


DEFAULT_KDF = KdfParams()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


def new_master_key() -> bytes:
    return secrets.token_bytes(MASTER_KEY_BYTES)


def _slot_file_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a parsed key file, checked up front so damage is never met mid-sign-in."""
    if not isinstance(data.get("store_id"), str) or not isinstance(data["slots"], dict):
        return "no store id or slot list"
    if not isinstance(data.get("pending_audit", []), list):
        return "pending events are not a list"
    if not isinstance(data.get("cipher", {}), dict):
        return "the cipher settings are not a mapping"
    if not isinstance(data.get("deactivated", {}), dict):
        return "the deactivated list is not a mapping"
    hub = data.get("hub")
    if hub is not None and not (isinstance(hub, dict) and isinstance(hub.get("url"), str)
                                and isinstance(hub.get("device_id"), str)):
        return "the hub record is incomplete"
    device = data.get("device")
    if device is not None:
        try:
            if len(_unb64(device["nonce"])) != 12 or len(_unb64(device["wrapped"])) != MASTER_KEY_BYTES + 16:
                return "the device slot is incomplete"
        except (KeyError, TypeError, ValueError):
            return "the device slot is incomplete"
    for name, slot in data["slots"].items():
        try:
            sound = (
                isinstance(slot["user_id"], str)
                and len(_unb64(slot["salt"])) == 16
                and len(_unb64(slot["nonce"])) == 12
                and len(_unb64(slot["wrapped"])) == MASTER_KEY_BYTES + 16
                and all(isinstance(slot["kdf"][k], int) and slot["kdf"][k] > 0 for k in ("t", "m", "p"))
            )
            int(slot.get("failed", 0))
            if slot.get("locked_until"):
                datetime.fromisoformat(slot["locked_until"])
        except (AttributeError, KeyError, TypeError, ValueError):  # binascii.Error is a ValueError
            sound = False
        if not sound:
            return f"the slot of {name!r} is incomplete"
    return None


class KeySlots:
    """The key slot file of one store. Every change is written to disk at once, atomically."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self._data = data
        self._lock = threading.RLock()
        self._stamp = self._disk_stamp()

    # -- file --------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, store_id: str) -> KeySlots:
        slots = cls(path, {"format": FORMAT, "store_id": store_id, "slots": {}, "pending_audit": [],
                           "cipher": {"hmac": CURRENT_HMAC}})
        slots._write(slots._data)
        return slots

    @classmethod
    def load(cls, path: Path) -> KeySlots:
        return cls(path, cls._read(path))

    @staticmethod
    def _read(path: Path) -> dict[str, Any]:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise StoreCorrupt(f"No MentalSpace store was found in {path.parent}.") from None
        except (OSError, ValueError) as exc:
            raise StoreCorrupt(f"The key file {path} is damaged ({exc}); restore from a backup.") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or "slots" not in data:
            raise StoreCorrupt(f"The key file {path} is not a MentalSpace key file; restore from a backup.")
        problem = _slot_file_problem(data)
        if problem:
            raise StoreCorrupt(f"The key file {path} is damaged ({problem}); restore from a backup.")
        return data

    def _disk_stamp(self) -> tuple[int, int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns, stat.st_size  # each write replaces the file: a new inode

    def _current(self) -> dict[str, Any]:
        """The slots as on disk now: another holder of this file may have changed it since."""
        with self._lock:
            stamp = self._disk_stamp()
            if stamp is not None and stamp != self._stamp:
                self._data = self._read(self.path)
                self._stamp = stamp
            return self._data

    @contextmanager
    def _changing(self) -> Iterator[dict[str, Any]]:
        """Re-read, change, write back: one writer at a time within this process."""
        with self._lock:
            data = self._current()
            yield data
            self._write(data)

    def _write(self, data: dict[str, Any]) -> None:
        with self._lock:
            write_atomically(self.path, json.dumps(data, indent=1, sort_keys=True).encode())
            self._stamp = self._disk_stamp()

    def to_bytes(self) -> bytes:
        return json.dumps(self._current(), indent=1, sort_keys=True).encode()

    @property
    def cipher_hmac(self) -> str:
        """The page algorithm the database was made with (stores from before this record: the default)."""
        return str(self._current().get("cipher", {}).get("hmac", LEGACY_HMAC))

    @property
    def store_id(self) -> str:
        return str(self._current()["store_id"])

    # -- slots -------------------------------------------------------------------------------

    def usernames(self) -> list[str]:
        return sorted(self._current()["slots"])

    def has_slot(self, username: str) -> bool:
        return username.lower() in self._current()["slots"]

    def is_deactivated(self, username: str) -> bool:
        return username.lower() in self._current().get("deactivated", {})

    def user_id_of(self, username: str) -> str | None:
        slot = self._current()["slots"].get(username.lower())
        return None if slot is None else str(slot["user_id"])

    def set_slot(
        self, *, username: str, user_id: str, password: str, master_key: bytes, kdf: KdfParams = DEFAULT_KDF
    ) -> None:
        """Wrap ``master_key`` for this user under ``password``, replacing any slot they had."""
        salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        kek = kdf.derive(password, salt)
        wrapped = AESGCM(kek).encrypt(nonce, master_key, self._aad(user_id))
        with self._changing() as data:
            data.get("deactivated", {}).pop(username.lower(), None)
            previous = data["slots"].get(username.lower(), {})
            same = previous.get("user_id") == user_id
            data["slots"][username.lower()] = {
                "user_id": user_id,
                "salt": _b64(salt),
                "nonce": _b64(nonce),
                "wrapped": _b64(wrapped),
                "kdf": {"t": kdf.time_cost, "m": kdf.memory_cost_kib, "p": kdf.parallelism},
                "failed": previous.get("failed", 0) if same else 0,
                "locked_until": previous.get("locked_until") if same else None,
            }

    def remove_slot(self, username: str) -> None:
        with self._changing() as data:
            data["slots"].pop(username.lower(), None)

    def deactivate(self, username: str) -> None:
        """Destroy a deactivated user's slot: their password no longer opens this store. Only the
        fact of the deactivation stays, so signing in says so instead of "wrong password"."""
        with self._changing() as data:
            slot = data["slots"].pop(username.lower(), None)
            if slot is not None:
                data.setdefault("deactivated", {})[username.lower()] = slot["user_id"]

    def remove_all(self) -> None:
        """Every way in goes: the users' slots and the device slot (a revoked workstation)."""
        with self._changing() as data:
            data["slots"] = {}
            data.pop("device", None)

    def rename_slot(self, old: str, new: str) -> None:
        with self._changing() as data:
            data["slots"][new.lower()] = data["slots"].pop(old.lower())

    def unwrap(self, username: str, password: str) -> tuple[str, bytes]:
        """The (user id, master key) this password opens; AuthenticationError when it does not."""
        data = self._current()
        slot = data["slots"].get(username.lower())
        if slot is None:
            DEFAULT_KDF.derive(password, bytes(16))  # as slow as a real slot: timing tells no names apart
            if username.lower() in data.get("deactivated", {}):
                raise AccountInactive("This account has been deactivated. Ask an administrator.")
            raise AuthenticationError("The user name or password is incorrect.")
        params = KdfParams(slot["kdf"]["t"], slot["kdf"]["m"], slot["kdf"]["p"])
        kek = params.derive(password, _unb64(slot["salt"]))
        try:
            nonce, wrapped = _unb64(slot["nonce"]), _unb64(slot["wrapped"])
            key = AESGCM(kek).decrypt(nonce, wrapped, self._aad(slot["user_id"]))
        except InvalidTag:
            raise AuthenticationError("The user name or password is incorrect.") from None
        return str(slot["user_id"]), key

    def _aad(self, user_id: str) -> bytes:
        return f"mentalspace-slot:{self.store_id}:{user_id}".encode()

    # -- the hub and the device slot ---------------------------------------------------------

    @property
    def hub(self) -> tuple[str, str] | None:
        """(hub URL, device id) of a workstation connected to a practice hub; readable before opening."""
        hub = self._current().get("hub")
        return (str(hub["url"]), str(hub["device_id"])) if hub else None

    def set_hub(self, url: str, device_id: str) -> None:
        with self._changing() as data:
            data["hub"] = {"url": url, "device_id": device_id}

    def device_slot_epoch(self) -> str | None:
        """The hub epoch the device slot was escrowed in (None: no device slot yet)."""
        device = self._current().get("device")
        return None if device is None else str(device.get("epoch", ""))

    def set_device_slot(self, secret: bytes, master_key: bytes, *, epoch: str) -> None:
        """Wrap the master key under the secret the hub keeps for this workstation."""
        nonce = secrets.token_bytes(12)
        wrapped = AESGCM(secret).encrypt(nonce, master_key, self._device_aad())
        with self._changing() as data:
            data["device"] = {"nonce": _b64(nonce), "wrapped": _b64(wrapped), "epoch": epoch}

    def unwrap_device(self, secret: bytes) -> bytes:
        """The master key, from the hub's secret; AuthenticationError when the two do not match."""
        device = self._current().get("device")
        if device is None or len(secret) != MASTER_KEY_BYTES:
            raise AuthenticationError("This workstation has no key the hub can open.")
        try:
            return AESGCM(secret).decrypt(_unb64(device["nonce"]), _unb64(device["wrapped"]), self._device_aad())
        except InvalidTag:
            raise AuthenticationError("The hub's key for this workstation does not open it.") from None

    def _device_aad(self) -> bytes:
        return f"mentalspace-device:{self.store_id}".encode()

    # -- sign-in attempts --------------------------------------------------------------------

    def attempts(self, username: str) -> AttemptState:
        slot = self._current()["slots"].get(username.lower())
        if slot is None:
            return AttemptState()
        until = slot.get("locked_until")
        return AttemptState(int(slot.get("failed", 0)), datetime.fromisoformat(until) if until else None)

    def set_attempts(self, username: str, state: AttemptState) -> None:
        with self._changing() as data:
            slot = data["slots"].get(username.lower())
            if slot is None:
                return
            slot["failed"] = state.failed
            slot["locked_until"] = state.locked_until.isoformat() if state.locked_until else None

    # -- audit events waiting for the database -----------------------------------------------

    def queue_audit(self, event: dict[str, str]) -> None:
        with self._changing() as data:
            data["pending_audit"].append(event)

    def pending_audit(self) -> list[dict[str, str]]:
        return list(self._current().get("pending_audit", []))

    def clear_pending_audit(self, count: int) -> None:
        """Forget the first ``count`` queued events, once they are committed to the audit log."""
        if count:
            with self._changing() as data:
                data["pending_audit"] = data["pending_audit"][count:]
