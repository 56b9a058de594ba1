"""Signing keys and the hub: registering a person's key at a verified sign-in, and what may be pushed.

The hub learns a person's public signing key for this workstation only at a sign-in it checked
itself (password and one-time code): the first sign-in here through the hub, connecting the
workstation, or signing in to the hub again. Until then their changes wait in the outbox, signed
but not pushable — never lost, never sent to be refused. The queue goes out in order, so changes
after a waiting one wait too; the sync report says whose sign-in they wait for.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.keyslots import KeySlots, OpenedSlot
from mentalspace_desktop.store.models import OutboxEntry, User
from mentalspace_desktop.store.signing import Signer, new_private_key
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.errors import AuthExpired, HubRejected


class SigningKeyNeeded(AuthExpired):
    """The person syncing has changes waiting for their key's registration: a hub sign-in does it.

    An AuthExpired, so the app asks for the hub sign-in exactly as when the sign-in has lapsed.
    """


@dataclass(frozen=True)
class Waiting:
    """Changes held back because their author's key is not known to the hub for this workstation."""

    count: int
    author_id: str
    author_name: str

    @property
    def message(self) -> str:
        return (f"{self.count} change(s) wait for {self.author_name} to sign in to the hub on this "
                "workstation (their signing key is not registered yet); nothing is lost.")

    def for_author(self) -> SigningKeyNeeded:
        return SigningKeyNeeded(f"{self.count} change(s) wait until you sign in to the hub on this "
                                "workstation once more (it registers your signing key here). Nothing is lost.")


def pushable(store: Store, batch: Sequence[OutboxEntry]) -> tuple[list[OutboxEntry], Waiting | None]:
    """The leading part of ``batch`` that may go now, and who the rest waits for (if anyone).

    A change waits while its author has a slot here whose signing key the hub has not confirmed:
    their next hub sign-in registers it. Anything else goes, and the hub decides (a change whose
    author has no slot here any more can never be signed again: refused, it is kept and shown).
    """
    slots = KeySlots.load(store.files.key_slots)
    ready: list[OutboxEntry] = []
    waits: dict[str, bool] = {}
    for entry in batch:
        author = str(json.loads(entry.row or "{}").get("updated_by") or "")
        if author not in waits:
            name = slots.username_of(author) if author else None
            waits[author] = bool(name) and not slots.is_registered(str(name), store.device_id)
        if not waits[author]:
            ready.append(entry)
            continue
        return ready, Waiting(_count_waiting(store, entry.device_seq), author, _name_of(store, author))
    return ready, None


def register_vouched(store: Store, client: HubClient) -> int:
    """Register the keys an administrator vouched for here (staff they created); how many the hub took.

    A key the hub refuses for now (the account has not reached it yet) is tried again next time.
    """
    slots = KeySlots.load(store.files.key_slots)
    done = 0
    for vouch in slots.vouches(store.device_id):
        try:
            key_id = client.put_vouched_key(vouch)
        except HubRejected as exc:
            if type(exc) is not HubRejected:  # revoked, signed out, outdated: the sync must stop
                raise
            continue
        name = slots.username_of(vouch["user_id"])
        if name and key_id:
            slots.mark_registered(name, key_id, store.device_id)
            done += 1
    return done


def _count_waiting(store: Store, from_seq: int) -> int:
    with store.read() as s:
        return len(list(s.scalars(select(OutboxEntry.device_seq).where(
            OutboxEntry.status == "pending", OutboxEntry.device_seq >= from_seq))))


def _name_of(store: Store, user_id: str) -> str:
    with store.read() as s:
        user = s.get(User, user_id) if user_id else None
    return user.full_name if user else "a colleague"


# -- registering at a hub sign-in ---------------------------------------------------------------


def open_for_login(slots: KeySlots, username: str, password: str) -> OpenedSlot | None:
    """This person's slot here, with a signing key (made now if they had none), to register it.

    None when they have no slot here, or their local password differs (changed elsewhere): the hub
    sign-in still works, and the key is registered at a later one.
    """
    if not slots.has_slot(username):
        return None
    try:
        opened = slots.open_slot(username, password)
    except AuthenticationError:
        return None
    if opened.signing_key is None:
        opened = replace(opened, signing_key=new_private_key())
        slots.update_secrets(opened)
    return opened


def login_fields(slots: KeySlots, username: str, password: str, *, signing_key: bytes | None) -> dict[str, str]:
    """What a hub login sends to register this person's signing key here (nothing without one).

    The public key is derived from the private one — held by the caller, or read from the slot with
    the password — never taken from the clear copy in the key file, which a colleague could replace
    with their own to have it registered in this person's name.
    """
    if signing_key is None:
        opened = open_for_login(slots, username, password)
        signing_key = opened.signing_key if opened is not None else None
    return {"signing_key": Signer("", signing_key).public_b64} if signing_key else {}


def take_login_answer(slots: KeySlots, username: str, password: str, answer: dict[str, Any], *,
                      device_id: str, sent_key: str | None) -> bytes | None:
    """Record what a verified hub sign-in gave: the key registration, and the clinical key if any.

    The clinical key goes into the person's slot (their role allows it, or the hub would not have
    sent it), which is opened for that only when it lacks it; it is also returned, for the session.
    """
    registered = answer.get("signing_key_id")
    if isinstance(registered, str) and slots.has_slot(username):
        slots.mark_registered(username, registered, device_id, public_b64=sent_key)
    clinical = clinical_key_of(answer)
    if clinical is not None and slots.has_slot(username) and not slots.holds_clinical_key(username):
        opened = open_for_login(slots, username, password)
        if opened is not None and clinical != opened.clinical_key:
            slots.update_secrets(replace(opened, clinical_key=clinical))
    return clinical


def clinical_key_of(answer: dict[str, Any]) -> bytes | None:
    text = answer.get("clinical_key")
    if not isinstance(text, str) or not text:
        return None
    try:
        key = base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return key if len(key) == 32 else None


__all__ = ["SigningKeyNeeded", "Waiting", "clinical_key_of", "login_fields", "open_for_login",
           "pushable", "register_vouched", "take_login_answer"]
