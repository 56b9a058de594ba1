"""The practice's clinical data key: who holds it on this workstation, and text sealed before it.

Note contents (and every later clinical text) are sealed under one random key per practice
(store/clinical_seal.py). Only the key slots of roles allowed to read clinical text wrap it, so a
front-desk or billing password opens the store but not the text. It reaches a person's slot:

- when the practice is created (the first administrator), or when their slot is made or re-wrapped
  by someone holding it (a new account, a temporary password) and their role allows;
- from a colleague's grant: whoever holds the key and signs in seals it to the box key of every
  allowed colleague whose slot lacks it (a role change, a slot made on the hub's word), and they take
  it into their slot at their next sign-in;
- from the hub, which holds the practice's key like the workstation key secrets and hands it over
  only at a hub-verified sign-in of an allowed role (sync/device_key.py, sync/enroll.py).

A role change to one that may not read clinical text takes it out of that person's slot.
"""

from __future__ import annotations

import json
from dataclasses import replace

from sqlalchemy import select

from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.store.clinical_seal import ClinicalSeal, context_of, is_sealed, new_clinical_key
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.keyslots import KeySlots, OpenedSlot
from mentalspace_desktop.store.models import NoteBody, OutboxEntry, User
from mentalspace_desktop.store.outbox import APPLYING_REMOTE

# Every clinical text column: (model, column). A new one is added here and sealed by its service.
CLINICAL_COLUMNS: tuple[tuple[type[NoteBody], str], ...] = ((NoteBody, "body"),)


def reads_clinical(role: Role) -> bool:
    return allows_any(role, Resource.NOTE_CONTENT, Action.READ)


def key_for_new_practice() -> bytes:
    return new_clinical_key()


def key_for_solo_store(slots: KeySlots) -> bytes | None:
    """A store made before clinical keys existed, not connected to a hub, where nobody holds one yet:
    the first allowed person to sign in makes the practice's key. Connected stores wait for the hub's."""
    if slots.hub is not None or any(slots.holds_clinical_key(name) for name in slots.usernames()):
        return None
    return new_clinical_key()


def grant_to_colleagues(store: Store, slots: KeySlots, clinical_key: bytes) -> list[str]:
    """Seal the key to every colleague here whose role reads clinical text and whose slot lacks it."""
    with store.read() as s:
        people = {u.username.lower(): Role(u.role) for u in s.scalars(
            select(User).where(User.active.is_(True), User.deleted.is_(False)))}
    granted = []
    for name in slots.usernames():
        role = people.get(name)
        if role is None:
            continue
        if not reads_clinical(role):
            if slots.holds_clinical_key(name):
                slots.drop_clinical_key(name)  # a role change made elsewhere, seen here first
            continue
        if not slots.holds_clinical_key(name) and slots.grant_clinical_key(name, clinical_key):
            granted.append(name)
    return granted


def seal_plain_text(store: Store, clinical_key: bytes) -> int:
    """Seal clinical text still stored in the clear (written before sealing existed, or the demo's).

    A local change of representation, not an edit: it is not queued for the hub (which seals what it
    holds itself, hub/clinical.py), so a signed note stays untouched there. The outbox's copies are
    sealed too, except in changes still waiting under their author's signature (they leave soon, and
    rewriting them would break it). Returns how many values were sealed.
    """
    seal = ClinicalSeal(clinical_key)
    sealed = 0

    def sealed_value(table: str, column: str, row_id: str, value: object) -> object:
        nonlocal sealed
        if not isinstance(value, str) or not value or is_sealed(value):
            return value
        sealed += 1
        return seal.seal(value, context=context_of(table, column, row_id))

    with store.write() as s:
        s.info[APPLYING_REMOTE] = True
        for model, column in CLINICAL_COLUMNS:
            table = model.__tablename__
            for row in s.scalars(select(model)):
                setattr(row, column, sealed_value(table, column, row.id, getattr(row, column)))
            entries = s.scalars(select(OutboxEntry).where(OutboxEntry.table_name == table))
            for entry in entries:
                if entry.status == "pending" and entry.signature:
                    continue
                changes, row_json = json.loads(entry.changes), json.loads(entry.row or "{}")
                if column in changes:
                    changes[column] = [sealed_value(table, column, entry.row_id, v) for v in changes[column]]
                if column in row_json:
                    row_json[column] = sealed_value(table, column, entry.row_id, row_json[column])
                entry.changes, entry.row = json.dumps(changes, default=str), json.dumps(row_json, default=str)
    return sealed


def settle_at_sign_in(store: Store, slots: KeySlots, opened: OpenedSlot, role: Role) -> OpenedSlot:
    """A person's slot at their sign-in: what it lacks made, a granted key taken, a barred one dropped.

    Then, if they hold the clinical key: a solo store made before clinical keys gets one, colleagues
    who should hold it are granted it, and clinical text still in the clear is sealed.
    """
    allowed = reads_clinical(role)
    opened = slots.complete_slot(opened, reads_clinical=allowed)
    if allowed and opened.clinical_key is None:
        created = key_for_solo_store(slots)
        if created is not None:
            opened = replace(opened, clinical_key=created)
            slots.update_secrets(opened)
    if opened.clinical_key is not None:
        grant_to_colleagues(store, slots, opened.clinical_key)
        seal_plain_text(store, opened.clinical_key)
    return opened
