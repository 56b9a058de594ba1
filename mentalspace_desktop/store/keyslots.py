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

Besides the master key, a person's slot wraps under the same password-derived key their own
secrets: their signing key for this workstation (store/signing.py) and, for roles that may read
clinical text, the practice's clinical data key (store/clinical_seal.py). Front-desk and billing
slots never hold the clinical key, so their password opens the store but not a note's text. A
slot also has an X25519 "box" key whose public half is in the clear: an administrator who changes
someone's role to one that reads clinical text leaves them the clinical key sealed to it (a grant),
which their next sign-in takes into their slot.

Sign-in failures, lockouts and the events waiting for the audit log are journaled with a
forward-secure MAC (store/keyfile_journal.py), so erasing or resetting them is noticed at the next
successful sign-in.

Several objects (the signed-in session, a sync worker, the command line) may hold the same file:
every change re-reads it first, under a lock, so none overwrites what another wrote.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from mentalspace_desktop.domain.lockout import AttemptState
from mentalspace_desktop.errors import AccountInactive, AuthenticationError, StoreCorrupt
from mentalspace_desktop.store.engine import CURRENT_HMAC, LEGACY_HMAC
from mentalspace_desktop.store.files import write_atomically
from mentalspace_desktop.store.keyfile_journal import Journal, authority_key
from mentalspace_desktop.store.signing import new_private_key

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


@dataclass(frozen=True)
class OpenedSlot:
    """What a password opened: the master key and the person's own secrets on this workstation."""

    username: str
    user_id: str
    master_key: bytes = field(repr=False)
    clinical_key: bytes | None = field(default=None, repr=False)
    signing_key: bytes | None = field(default=None, repr=False)  # Ed25519 private, raw
    box_key: bytes | None = field(default=None, repr=False)  # X25519 private, raw
    kek: bytes = field(default=b"", repr=False)  # the password-derived key: re-wraps without Argon2 again


def _seal_to(public_raw: bytes, secret: bytes, aad: bytes) -> dict[str, str]:
    """Encrypt ``secret`` so that only the holder of the X25519 private key can open it."""
    ephemeral = X25519PrivateKey.generate()
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(public_raw))
    key = HKDF(hashes.SHA256(), 32, None, b"mentalspace-grant").derive(shared)
    nonce = secrets.token_bytes(12)
    return {"ephemeral": _b64(ephemeral.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)),
            "nonce": _b64(nonce), "wrapped": _b64(AESGCM(key).encrypt(nonce, secret, aad))}


def _open_sealed(private_raw: bytes, sealed: dict[str, str], aad: bytes) -> bytes:
    shared = X25519PrivateKey.from_private_bytes(private_raw).exchange(
        X25519PublicKey.from_public_bytes(_unb64(sealed["ephemeral"])))
    key = HKDF(hashes.SHA256(), 32, None, b"mentalspace-grant").derive(shared)
    return AESGCM(key).decrypt(_unb64(sealed["nonce"]), _unb64(sealed["wrapped"]), aad)


def _slot_file_problem(data: dict[str, Any]) -> str | None:
    """What is wrong with a parsed key file, checked up front so damage is never met mid-sign-in."""
    if not isinstance(data.get("store_id"), str) or not isinstance(data["slots"], dict):
        return "no store id or slot list"
    if not isinstance(data.get("pending_audit", []), list):
        return "pending events are not a list"
    if not isinstance(data.get("cipher", {}), dict):
        return "the cipher settings are not a mapping"
    if not isinstance(data.get("journal", {}), dict) or not isinstance(data.get("journal", {}).get("events", []), list):
        return "the sign-in journal is not a mapping"
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
        self._authority: bytes | None = None  # see authorize()

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
        self, *, username: str, user_id: str, password: str, master_key: bytes, kdf: KdfParams = DEFAULT_KDF,
        clinical_key: bytes | None = None, signing_key: bytes | None = None,
    ) -> OpenedSlot:
        """Wrap ``master_key`` (and the person's secrets) under ``password``, replacing any slot they had.

        ``clinical_key``: only for a role that may read clinical text. ``signing_key``: the person's
        own (a password change keeps it); without one a new key is made, which the hub learns at
        their next hub sign-in.
        """
        salt = secrets.token_bytes(16)
        kek = kdf.derive(password, salt)
        opened = OpenedSlot(username.lower(), user_id, master_key, clinical_key,
                            signing_key or new_private_key(), X25519PrivateKey.generate().private_bytes(
                                Encoding.Raw, PrivateFormat.Raw, NoEncryption()), kek)
        nonce = secrets.token_bytes(12)
        wrapped = AESGCM(kek).encrypt(nonce, master_key, self._aad(user_id))
        with self._changing() as data:
            data.get("deactivated", {}).pop(username.lower(), None)
            previous = data["slots"].get(username.lower(), {})
            same = previous.get("user_id") == user_id
            slot = {
                "user_id": user_id,
                "salt": _b64(salt),
                "nonce": _b64(nonce),
                "wrapped": _b64(wrapped),
                "kdf": {"t": kdf.time_cost, "m": kdf.memory_cost_kib, "p": kdf.parallelism},
                "failed": previous.get("failed", 0) if same else 0,
                "locked_until": previous.get("locked_until") if same else None,
            }
            if same and "signing" in previous:
                slot["signing"] = previous["signing"]  # its registrations stay if the key does
            self._put_secrets(slot, opened)
            data["slots"][username.lower()] = slot
            Journal(data).record({"kind": "attempts", "user": username.lower(), "failed": slot["failed"],
                                  "locked_until": slot["locked_until"]}, authority=authority_key(master_key))
        return opened

    def _put_secrets(self, slot: dict[str, Any], opened: OpenedSlot) -> None:
        """Write the person's secrets into ``slot``, each wrapped under their password-derived key."""
        from mentalspace_desktop.store.signing import Signer

        aead, user_id = AESGCM(opened.kek), opened.user_id
        slot.pop("clinical", None)
        if opened.clinical_key is not None:
            nonce = secrets.token_bytes(12)
            slot["clinical"] = {"nonce": _b64(nonce), "wrapped": _b64(
                aead.encrypt(nonce, opened.clinical_key, self._aad(user_id, "clinical")))}
            slot.pop("grant", None)
        if opened.signing_key is not None:
            nonce = secrets.token_bytes(12)
            signer = Signer(user_id, opened.signing_key)
            registered = slot.get("signing", {}).get("registered", [])
            same_key = slot.get("signing", {}).get("key_id") == signer.key_id
            slot["signing"] = {"nonce": _b64(nonce), "key_id": signer.key_id, "public": signer.public_b64,
                               "registered": registered if same_key else [],
                               "wrapped": _b64(aead.encrypt(nonce, opened.signing_key,
                                                            self._aad(user_id, "signing")))}
        if opened.box_key is not None:
            nonce = secrets.token_bytes(12)
            public = X25519PrivateKey.from_private_bytes(opened.box_key).public_key()
            slot["box"] = {"nonce": _b64(nonce), "public": _b64(public.public_bytes(Encoding.Raw, PublicFormat.Raw)),
                           "wrapped": _b64(aead.encrypt(nonce, opened.box_key, self._aad(user_id, "box")))}

    def update_secrets(self, opened: OpenedSlot) -> None:
        """Store ``opened``'s secrets in its slot again (a key added or taken away at sign-in)."""
        with self._changing() as data:
            slot = data["slots"].get(opened.username)
            if slot is None or slot["user_id"] != opened.user_id:
                return
            self._put_secrets(slot, opened)

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
            Journal(data).record({"kind": "rename", "old": old.lower(), "new": new.lower()})

    def unwrap(self, username: str, password: str) -> tuple[str, bytes]:
        """The (user id, master key) this password opens; AuthenticationError when it does not."""
        opened = self.open_slot(username, password)
        return opened.user_id, opened.master_key

    def open_slot(self, username: str, password: str) -> OpenedSlot:
        """Everything this password opens; AuthenticationError when it opens nothing."""
        data = self._current()
        slot = data["slots"].get(username.lower())
        if slot is None:
            DEFAULT_KDF.derive(password, bytes(16))  # as slow as a real slot: timing tells no names apart
            if username.lower() in data.get("deactivated", {}):
                raise AccountInactive("This account has been deactivated. Ask an administrator.")
            raise AuthenticationError("The user name or password is incorrect.")
        params = KdfParams(slot["kdf"]["t"], slot["kdf"]["m"], slot["kdf"]["p"])
        kek = params.derive(password, _unb64(slot["salt"]))
        user_id = str(slot["user_id"])
        aead = AESGCM(kek)
        try:
            nonce, wrapped = _unb64(slot["nonce"]), _unb64(slot["wrapped"])
            key = aead.decrypt(nonce, wrapped, self._aad(user_id))
        except InvalidTag:
            raise AuthenticationError("The user name or password is incorrect.") from None
        found: dict[str, bytes | None] = {}
        for name in ("clinical", "signing", "box"):
            part = slot.get(name) or {}
            try:
                found[name] = (aead.decrypt(_unb64(part["nonce"]), _unb64(part["wrapped"]),
                                            self._aad(user_id, name)) if "wrapped" in part else None)
            except (InvalidTag, KeyError, ValueError):
                found[name] = None  # damaged or swapped in: as if missing (a new one is made, or the hub's)
        return OpenedSlot(username.lower(), user_id, key, found["clinical"], found["signing"], found["box"], kek)

    def complete_slot(self, opened: OpenedSlot, *, reads_clinical: bool) -> OpenedSlot:
        """At a sign-in: make what the slot lacks, take a clinical key granted meanwhile, drop one the
        role may no longer hold. Returns the slot as it now is (written only if something changed)."""
        updated = opened
        if opened.signing_key is None:
            updated = replace(updated, signing_key=new_private_key())
        if opened.box_key is None:
            updated = replace(updated, box_key=X25519PrivateKey.generate().private_bytes(
                Encoding.Raw, PrivateFormat.Raw, NoEncryption()))
        grant = (self._current()["slots"].get(opened.username) or {}).get("grant")
        if reads_clinical and updated.clinical_key is None and grant and updated.box_key is not None:
            # A grant that does not open is ignored: the hub hands the key at the next hub sign-in.
            with contextlib.suppress(InvalidTag, KeyError, ValueError):
                updated = replace(updated, clinical_key=_open_sealed(
                    updated.box_key, grant, self._aad(opened.user_id, "grant")))
        if not reads_clinical:
            updated = replace(updated, clinical_key=None)
        if updated != opened:
            self.update_secrets(updated)
        if not reads_clinical and self.holds_clinical_key(opened.username):
            self.drop_clinical_key(opened.username)
        return updated

    def grant_clinical_key(self, username: str, clinical_key: bytes) -> bool:
        """Leave ``username`` the clinical key, sealed to their box key (they take it at next sign-in).

        False when their slot has no box key yet (made before this version): they then receive the
        key at their next hub sign-in, or when an administrator sets them a temporary password.
        """
        with self._changing() as data:
            slot = data["slots"].get(username.lower())
            if slot is None or "box" not in slot or "clinical" in slot:
                return slot is not None and "clinical" in slot
            slot["grant"] = _seal_to(_unb64(slot["box"]["public"]), clinical_key,
                                     self._aad(slot["user_id"], "grant"))
            return True

    def drop_clinical_key(self, username: str) -> None:
        """Take the clinical key out of a slot (a role change to one that may not read clinical text)."""
        with self._changing() as data:
            slot = data["slots"].get(username.lower())
            if slot is not None:
                slot.pop("clinical", None)
                slot.pop("grant", None)

    def holds_clinical_key(self, username: str) -> bool:
        slot = self._current()["slots"].get(username.lower()) or {}
        return "clinical" in slot or "grant" in slot

    # -- signing keys and the hub ------------------------------------------------------------

    def signing_public(self, username: str) -> tuple[str, str] | None:
        """(key id, base64 public key) of a person's signing key here, or None before they have one."""
        signing = (self._current()["slots"].get(username.lower()) or {}).get("signing") or {}
        return (str(signing["key_id"]), str(signing["public"])) if "public" in signing else None

    def is_registered(self, username: str, device_id: str) -> bool:
        """Whether the hub has confirmed this person's current signing key for this workstation."""
        signing = (self._current()["slots"].get(username.lower()) or {}).get("signing") or {}
        return device_id in signing.get("registered", [])

    def mark_registered(self, username: str, key_id: str, device_id: str, *, public_b64: str | None = None) -> None:
        """The hub confirmed ``key_id`` for this person here. ``public_b64`` (derived from their private
        key) also puts right a clear copy of the public key that someone changed in the file."""
        with self._changing() as data:
            signing = (data["slots"].get(username.lower()) or {}).get("signing")
            if signing is not None and public_b64 is not None and signing.get("key_id") != key_id:
                signing.update(key_id=key_id, public=public_b64, registered=[])
            if signing is not None and signing.get("key_id") == key_id:
                signing["registered"] = sorted({*signing.get("registered", []), device_id})

    def set_vouch(self, username: str, vouch: dict[str, str]) -> None:
        """An administrator's signed word for this person's key here (see store/signing.vouch_message)."""
        with self._changing() as data:
            signing = (data["slots"].get(username.lower()) or {}).get("signing")
            if signing is not None:
                signing["vouch"] = vouch

    def vouches(self, device_id: str) -> list[dict[str, str]]:
        """Keys waiting for the hub that an administrator vouched for: {user_id, public, by, key, sig}."""
        found = []
        for slot in self._current()["slots"].values():
            signing = slot.get("signing") or {}
            vouch = signing.get("vouch")
            if vouch and device_id not in signing.get("registered", []) and "public" in signing:
                found.append({**vouch, "user_id": slot["user_id"], "public": signing["public"]})
        return found

    def username_of(self, user_id: str) -> str | None:
        return next((name for name, slot in self._current()["slots"].items() if slot["user_id"] == user_id), None)

    def _aad(self, user_id: str, part: str = "") -> bytes:
        suffix = f":{part}" if part else ""  # the master key's slot keeps the format it always had
        return f"mentalspace-slot:{self.store_id}:{user_id}{suffix}".encode()

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
            Journal(data).record({"kind": "attempts", "user": username.lower(), "failed": slot["failed"],
                                  "locked_until": slot["locked_until"]}, authority=self._authority)

    # -- audit events waiting for the database -----------------------------------------------

    def queue_audit(self, event: dict[str, str]) -> None:
        with self._changing() as data:
            data["pending_audit"].append(event)
            Journal(data).record({"kind": "audit", "event": event})

    def pending_audit(self) -> list[dict[str, str]]:
        return list(self._current().get("pending_audit", []))

    def clear_pending_audit(self, count: int) -> None:
        """Forget the first ``count`` queued events, once they are committed to the audit log."""
        if count:
            with self._changing() as data:
                data["pending_audit"] = data["pending_audit"][count:]
                Journal(data).record({"kind": "cleared", "count": count}, authority=self._authority)

    # -- the journal of sign-in records (store/keyfile_journal.py) -----------------------------

    def authorize(self, master_key: bytes) -> None:
        """This holder opened the store: its resets of counters and queued events are legitimate."""
        self._authority = authority_key(master_key)

    def journal_problems(self, master_key: bytes, *, witnessed: bool) -> list[str]:
        """What was changed by hand in the sign-in records since the last successful sign-in."""
        return Journal(copy.deepcopy(self._current())).problems(master_key, self.store_id, witnessed=witnessed)

    def seal_journal(self, master_key: bytes) -> None:
        with self._changing() as data:
            Journal(data).seal(master_key, str(data["store_id"]))
