"""Key slots: the store's master key, wrapped once per user with a key derived from their password.

The SQLCipher database is opened with a random 256-bit master key used as a raw key. That key is
never written in the clear: each enrolled user has a slot holding it encrypted (AES-256-GCM) under a
key derived from their password with Argon2id. A wrong password fails the GCM tag check. Changing a
password re-wraps only that user's slot.

The slot file also keeps, per user, the failed sign-in count and lock (they must be readable before
the database can be opened) and sign-in events not yet copied into the audit log.
"""

from __future__ import annotations

import base64
import json
import secrets
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

    # -- file --------------------------------------------------------------------------------

    @classmethod
    def create(cls, path: Path, store_id: str) -> KeySlots:
        slots = cls(path, {"format": FORMAT, "store_id": store_id, "slots": {}, "pending_audit": [],
                           "cipher": {"hmac": CURRENT_HMAC}})
        slots._save()
        return slots

    @classmethod
    def load(cls, path: Path) -> KeySlots:
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
        return cls(path, data)

    def _save(self) -> None:
        write_atomically(self.path, json.dumps(self._data, indent=1, sort_keys=True).encode())

    def to_bytes(self) -> bytes:
        return json.dumps(self._data, indent=1, sort_keys=True).encode()

    @property
    def cipher_hmac(self) -> str:
        """The page algorithm the database was made with (stores from before this record: the default)."""
        return str(self._data.get("cipher", {}).get("hmac", LEGACY_HMAC))

    @property
    def store_id(self) -> str:
        return str(self._data["store_id"])

    # -- slots -------------------------------------------------------------------------------

    def usernames(self) -> list[str]:
        return sorted(self._data["slots"])

    def has_slot(self, username: str) -> bool:
        return username.lower() in self._data["slots"]

    def user_id_of(self, username: str) -> str | None:
        slot = self._data["slots"].get(username.lower())
        return None if slot is None else str(slot["user_id"])

    def set_slot(
        self, *, username: str, user_id: str, password: str, master_key: bytes, kdf: KdfParams = DEFAULT_KDF
    ) -> None:
        """Wrap ``master_key`` for this user under ``password``, replacing any slot they had."""
        salt = secrets.token_bytes(16)
        nonce = secrets.token_bytes(12)
        kek = kdf.derive(password, salt)
        wrapped = AESGCM(kek).encrypt(nonce, master_key, self._aad(user_id))
        self._data.get("deactivated", {}).pop(username.lower(), None)
        previous = self._data["slots"].get(username.lower(), {})
        self._data["slots"][username.lower()] = {
            "user_id": user_id,
            "salt": _b64(salt),
            "nonce": _b64(nonce),
            "wrapped": _b64(wrapped),
            "kdf": {"t": kdf.time_cost, "m": kdf.memory_cost_kib, "p": kdf.parallelism},
            "failed": previous.get("failed", 0) if previous.get("user_id") == user_id else 0,
            "locked_until": previous.get("locked_until") if previous.get("user_id") == user_id else None,
        }
        self._save()

    def remove_slot(self, username: str) -> None:
        self._data["slots"].pop(username.lower(), None)
        self._save()

    def deactivate(self, username: str) -> None:
        """Destroy a deactivated user's slot: their password no longer opens this store. Only the
        fact of the deactivation stays, so signing in says so instead of "wrong password"."""
        slot = self._data["slots"].pop(username.lower(), None)
        if slot is not None:
            self._data.setdefault("deactivated", {})[username.lower()] = slot["user_id"]
        self._save()

    def remove_all(self) -> None:
        self._data["slots"] = {}
        self._save()

    def rename_slot(self, old: str, new: str) -> None:
        slot = self._data["slots"].pop(old.lower())
        self._data["slots"][new.lower()] = slot
        self._save()

    def unwrap(self, username: str, password: str) -> tuple[str, bytes]:
        """The (user id, master key) this password opens; AuthenticationError when it does not."""
        slot = self._data["slots"].get(username.lower())
        if slot is None:
            DEFAULT_KDF.derive(password, bytes(16))  # as slow as a real slot: timing tells no names apart
            if username.lower() in self._data.get("deactivated", {}):
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

    # -- sign-in attempts --------------------------------------------------------------------

    def attempts(self, username: str) -> AttemptState:
        slot = self._data["slots"].get(username.lower())
        if slot is None:
            return AttemptState()
        until = slot.get("locked_until")
        return AttemptState(int(slot.get("failed", 0)), datetime.fromisoformat(until) if until else None)

    def set_attempts(self, username: str, state: AttemptState) -> None:
        slot = self._data["slots"].get(username.lower())
        if slot is None:
            return
        slot["failed"] = state.failed
        slot["locked_until"] = state.locked_until.isoformat() if state.locked_until else None
        self._save()

    # -- audit events waiting for the database -----------------------------------------------

    def queue_audit(self, event: dict[str, str]) -> None:
        self._data["pending_audit"].append(event)
        self._save()

    def pending_audit(self) -> list[dict[str, str]]:
        return list(self._data.get("pending_audit", []))

    def clear_pending_audit(self, count: int) -> None:
        """Forget the first ``count`` queued events, once they are committed to the audit log."""
        if count:
            self._data["pending_audit"] = self._data["pending_audit"][count:]
            self._save()
