"""Change signatures: proof that the person a change names as its author made it.

Each person has an Ed25519 signing key per workstation. Its private half lives only in their own key
slot (wrapped by their password, store/keyslots.py), never in the store that colleagues can open;
the hub learns the public half at a sign-in it verified itself (password and code). Every outbox
entry a person writes is signed in the same transaction as the write, over a canonical form of what
the hub receives (change id, table, row id, operation, base, changed fields, author, schema
version), and the hub refuses any change whose signature does not check out against the author's
key for the pushing workstation (hub/services/signatures.py).

So a colleague who can open the store — or holds the workstation's hub token — can neither write a
change in someone else's name nor alter one waiting in the outbox: they do not hold that person's
key. The workstation is bound through the key, which the hub keeps per (workstation, person); it is
not in the signed bytes, so a store restored as a new workstation identity keeps its queue valid
once its people register their keys for it. The device sequence is not signed either: it orders the
queue and is the sync layer's to renumber; the change id, which is signed, is what the hub
deduplicates on.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from sqlalchemy import Engine
from sqlalchemy.orm import Session, UOWTransaction

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import OutboxEntry

VERSION = 1
LEGACY_MARK = "unsigned_until_seq"  # sync_state: outbox entries written before signatures existed


def canonical(*, change_id: str, table: str, row_id: str, op: str, base_server_seq: int | None,
              changes: dict[str, Any], author_id: str, schema_version: str) -> bytes:
    """The bytes a signature covers: the same on the desktop (from the outbox) and the hub (from the push)."""
    body = {"v": VERSION, "change_id": change_id, "table": table, "row_id": row_id, "op": op,
            "base": base_server_seq, "changes": changes, "author": author_id, "schema": schema_version}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def vouch_message(*, device_id: str, user_id: str, public_b64: str) -> bytes:
    """What an administrator signs to vouch for a key they made for a colleague on this workstation
    (a new account or a temporary password: the colleague has not met the hub yet)."""
    body = {"v": VERSION, "vouch": "signing-key", "device": device_id, "user": user_id, "key": public_b64}
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def key_id_of(public_raw: bytes) -> str:
    """A short, stable name for a public key (a person may get a new key after a password reset)."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


def new_private_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


@dataclass(frozen=True)
class Signature:
    """A signature as it travels: which key made it, and the bytes."""

    key_id: str
    value: bytes

    def encode(self) -> str:
        return json.dumps({"v": VERSION, "key": self.key_id, "sig": base64.b64encode(self.value).decode()},
                          separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> Signature | None:
        """None for anything that is not a signature of this format (the hub then refuses it)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            value = base64.b64decode(str(data["sig"]).encode(), validate=True)
            if data.get("v") != VERSION or len(value) != 64:
                return None
            return cls(str(data["key"]), value)
        except (ValueError, KeyError, TypeError, binascii.Error):
            return None


class Signer:
    """One person's signing key, in memory only while they are signed in."""

    def __init__(self, user_id: str, private_raw: bytes) -> None:
        self.user_id = user_id
        self._key = Ed25519PrivateKey.from_private_bytes(private_raw)
        self.public_raw = self._key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = key_id_of(self.public_raw)

    @property
    def public_b64(self) -> str:
        return base64.b64encode(self.public_raw).decode()

    def sign(self, message: bytes) -> Signature:
        return Signature(self.key_id, self._key.sign(message))


def verify(public_raw: bytes, message: bytes, signature: Signature) -> bool:
    try:
        Ed25519PublicKey.from_public_bytes(public_raw).verify(signature.value, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def entry_message(entry: OutboxEntry) -> bytes:
    """The canonical form of an outbox entry, as the hub will rebuild it from the push."""
    author = json.loads(entry.row or "{}").get("updated_by") or ""
    return canonical(change_id=entry.change_id, table=entry.table_name, row_id=entry.row_id, op=entry.op,
                     base_server_seq=entry.base_server_seq, changes=json.loads(entry.changes),
                     author_id=str(author), schema_version=entry.schema_version or "")


# -- the signed-in people of each open store ----------------------------------------------------

_signers: weakref.WeakKeyDictionary[Engine, dict[str, Signer]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def install(engine: Engine, signer: Signer) -> None:
    """Sign this person's writes to the store behind ``engine`` from now on (they signed in)."""
    with _lock:
        _signers.setdefault(engine, {})[signer.user_id] = signer


def signer_for(engine: Engine, user_id: str | None) -> Signer | None:
    if not user_id:
        return None
    with _lock:
        return _signers.get(engine, {}).get(user_id)


def sign_outbox(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """``before_flush``, after the outbox hook: sign each new entry with its author's key.

    An entry whose author is not signed in here (there is no key to sign with) stays unsigned; the
    push leaves it waiting (sync/signing.py) and the hub would refuse it.
    """
    entries = [obj for obj in session.new if isinstance(obj, OutboxEntry) and not obj.signature]
    if not entries:
        return
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    for entry in entries:
        if entry.change_id is None:
            entry.change_id = new_id()  # the column default comes only at insert: the signature covers it
        author = json.loads(entry.row or "{}").get("updated_by")
        signer = signer_for(engine, author)
        if signer is not None:
            entry.signature = signer.sign(entry_message(entry)).encode()


def sign_legacy(session: Session, signer: Signer, *, until_seq: int) -> int:
    """Sign this person's changes written before signatures existed (at or below ``until_seq``).

    They were written on this workstation before the update, in this person's name; nothing written
    after the update is ever signed this way (the mark is fixed by migration 0009). Returns how many.
    """
    from sqlalchemy import select  # local: this module is imported by the store's session setup

    signed = 0
    entries = session.scalars(select(OutboxEntry).where(
        OutboxEntry.status == "pending", OutboxEntry.signature.is_(None), OutboxEntry.device_seq <= until_seq))
    for entry in entries:
        if json.loads(entry.row or "{}").get("updated_by") == signer.user_id:
            entry.signature = signer.sign(entry_message(entry)).encode()
            signed += 1
    return signed
