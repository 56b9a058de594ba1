"""Checking that a pushed change was made by the person it names (store/signing.py explains the keys).

A workstation's access token says which workstation is calling and who signed it in to the hub; it
says nothing about who wrote each change waiting in its outbox. So every change must carry its
author's signature, made with the key that person registered for this workstation at a sign-in the
hub verified itself (password and code, :func:`register_key`). Unsigned, wrongly signed, or naming
someone with no key registered for this workstation: refused, with the reason.

Audit entries are changes like any other, and one that names a person must also be signed by that
person: nobody records "the administrator exported 230 clients" from the front desk. An entry that
names nobody may only record a sign-in attempt seen before anyone signed in (services/accounts.py).

The hub also holds the practice's clinical data key (services/clinical_keys.py), like the
workstation key secrets, and hands it only to a verified sign-in of a role that may read clinical text.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.hub.db import CLINICAL_KEY, get_setting
from mentalspace_desktop.hub.errors import HubError
from mentalspace_desktop.store.hub_models import HubSigningKey
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.signing import Signature, canonical, key_id_of, verify, vouch_message
from mentalspace_desktop.store.sync_models import HubSetting
from mentalspace_desktop.store.types import utcnow

PRE_SIGN_IN_ACTIONS = frozenset({"login_failed", "account_locked"})
NOT_REGISTERED = (
    "the author's signing key is not registered for this workstation: they sign in to the hub here "
    "(password and code) to register it"
)


def register_key(session: Session, device_id: str, user_id: str, public_b64: str | None) -> str | None:
    """Keep a person's public key for this workstation; its key id (None when none was sent)."""
    if not public_b64:
        return None
    try:
        raw = base64.b64decode(public_b64.encode(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != 32:
        raise HubError(400, "The signing key is not a public key of 32 bytes in base64.", "bad_signing_key")
    key_id = key_id_of(raw)
    if session.get(HubSigningKey, (device_id, user_id, key_id)) is None:
        session.add(HubSigningKey(device_id=device_id, user_id=user_id, key_id=key_id,
                                  public_key=base64.b64encode(raw).decode(), created_at=utcnow()))
        session.flush()
    return key_id


def clinical_key_for(session: Session, role: Role) -> str | None:
    """The practice's clinical key for a role that may read clinical text; None for the others."""
    if not allows_any(role, Resource.NOTE_CONTENT, Action.READ):
        return None
    return get_setting(session, CLINICAL_KEY)


def adopt_clinical_key(session: Session, key: bytes) -> None:
    """A practice moved from a solo store keeps the store's key (its notes are sealed under it)."""
    row = session.get(HubSetting, CLINICAL_KEY)
    value = base64.b64encode(key).decode()
    if row is None:
        session.add(HubSetting(key=CLINICAL_KEY, value=value))
    else:
        row.value = value


def register_vouched(session: Session, *, device_id: str, user_id: str, public_b64: str, voucher_id: str,
                     voucher_key_id: str, signature_b64: str) -> str:
    """Register a colleague's key on an administrator's signed word; returns its key id.

    For staff an administrator created (or gave a temporary password) on this workstation: they
    have not met the hub, and their first changes there — their own enrollment included — must not
    wait for a hub sign-in that needs them. The administrator made their key, so the administrator's
    own registered key vouches for it. A forged vouch needs an administrator's key: refused.
    """
    voucher = session.get(User, voucher_id)
    if voucher is None or not voucher.active or voucher.deleted or not allows_any(
            Role(voucher.role), Resource.ADMINISTRATION, Action.WRITE):
        raise HubError(403, "Only an administrator can vouch for a colleague's key.", "not_a_voucher")
    row = session.get(HubSigningKey, (device_id, voucher_id, voucher_key_id))
    try:
        value = base64.b64decode(signature_b64.encode(), validate=True)
    except (binascii.Error, ValueError):
        value = b""
    message = vouch_message(device_id=device_id, user_id=user_id, public_b64=public_b64)
    if row is None or len(value) != 64 or not verify(base64.b64decode(row.public_key), message,
                                                       Signature(voucher_key_id, value)):
        raise HubError(403, "The administrator's signature on this key does not check out.", "bad_vouch")
    target = session.get(User, user_id)
    if target is None or not target.active or target.deleted:
        raise HubError(409, "That account is not on the hub yet (or is closed).", "unknown_user")
    key_id = register_key(session, device_id, user_id, public_b64)
    assert key_id is not None
    return key_id


class SignatureCheck:
    """The signature check of one push batch, with the keys it looked up."""

    def __init__(self, session: Session, device_id: str) -> None:
        self.session = session
        self.device_id = device_id
        self._keys: dict[tuple[str, str], bytes | None] = {}

    def refusal(self, change: dict[str, Any], author_id: str) -> str | None:
        """Why this change is not proven to be ``author_id``'s, in words for them; None when it is."""
        signature = Signature.decode(change.get("signature"))
        if signature is None:
            return "this change is not signed by its author, so the hub cannot accept it as theirs"
        public = self._public(author_id, signature.key_id)
        if public is None:
            return NOT_REGISTERED
        message = canonical(
            change_id=str(change["change_id"]), table=str(change["table"]), row_id=str(change["row_id"]),
            op=str(change["op"]), base_server_seq=change.get("base_server_seq"), changes=change["changes"],
            author_id=str(change.get("author_id") or author_id), schema_version=str(change.get("schema_version") or ""),
        )
        if not verify(public, message, signature):
            return "the signature does not match this change or its author: it was altered or made by someone else"
        return self._audit_refusal(change, author_id)

    def _public(self, user_id: str, key_id: str) -> bytes | None:
        if (user_id, key_id) not in self._keys:
            row = self.session.get(HubSigningKey, (self.device_id, user_id, key_id))
            self._keys[(user_id, key_id)] = base64.b64decode(row.public_key) if row is not None else None
        return self._keys[(user_id, key_id)]

    def _audit_refusal(self, change: dict[str, Any], author_id: str) -> str | None:
        if change["table"] != "audit_log" or change["op"] != "insert":
            return None  # an audit entry is never changed afterwards (the author's permissions say so)
        entry = {name: pair[1] for name, pair in change["changes"].items() if isinstance(pair, list) and len(pair) == 2}
        named = entry.get("user_id")
        if named is None:
            if entry.get("action") in PRE_SIGN_IN_ACTIONS:
                return None
            return "an audit entry that names nobody may only record a sign-in attempt"
        author = self.session.get(User, author_id)
        if named != author_id or author is None or entry.get("username") not in (None, author.username):
            return "an audit entry naming a person must be signed by that person"
        return None
