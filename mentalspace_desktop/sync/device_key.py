"""Letting a second staff member sign in on a workstation for the first time, through the hub.

A user can open the encrypted store only with a key slot of their own, and a slot can only be made
by someone who holds the master key. On a workstation shared by a front desk, the next person to sit
down has no slot yet and nobody who has one is there. So, once the workstation is approved, it wraps
its master key under a random secret (the device slot, in the key file) and gives that secret to the
hub, and only to the hub. When a person without a slot signs in, the hub checks their password and
one-time code; if they are good and the workstation is still approved, it hands back the secret,
the device slot opens, and the person's own slot is made from the password they just typed — with
their new signing key for this workstation, which the hub registered at that same sign-in, and (for
a role that may read clinical text) the practice's clinical key, which the hub hands over then. From
then on they sign in here offline like anyone else.

Neither half opens the store alone: the laptop holds only the wrapped key, the hub only the secret.
Revoking the workstation erases the secret on the hub and the slots on the workstation.
"""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import socket
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import DEFAULT_KDF, MASTER_KEY_BYTES, KdfParams, KeySlots, OpenedSlot
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.opening import open_store
from mentalspace_desktop.store.signing import Signer, new_private_key
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.credentials import HubCredential
from mentalspace_desktop.sync.enroll import ClientFactory
from mentalspace_desktop.sync.errors import DeviceRevoked, HubRejected, HubUnreachable, SyncError, UpdateRequired
from mentalspace_desktop.sync.signing import clinical_key_of

log = logging.getLogger(__name__)

HUB_NEEDED = (
    "This is your first sign-in on this workstation, so the practice hub must confirm it, and the hub "
    "cannot be reached right now. Check the network connection, or sign in on a workstation you have "
    "used before."
)
NOT_READY = (
    "This workstation is not ready for new staff yet: it has not synced with the hub since it was "
    "approved. Ask someone who already signs in here to sign in while it is online, then try again."
)


def ensure_escrowed(store: Store, client: HubClient, *, epoch: str) -> bool:
    """Make the device slot and give the hub its secret, unless done already in this hub epoch.

    Called by every sync of an approved workstation; does nothing (and no request) once done. A hub
    restored from a backup starts a new epoch and may have lost the secret, so it is given again.
    Returns whether a new secret was given.
    """
    slots = KeySlots.load(store.files.key_slots)
    url = state.hub_url(store)
    if url and slots.hub != (url, store.device_id):
        slots.set_hub(url, store.device_id)
    if slots.device_slot_epoch() == epoch:
        return False
    secret = secrets.token_bytes(MASTER_KEY_BYTES)
    client.put_device_key(base64.b64encode(secret).decode())  # the hub first: a lost reply costs a retry
    slots.set_device_slot(secret, store.master_key, epoch=epoch)
    return True


@dataclass
class HubSignIn:
    """A first sign-in confirmed by the hub: the store is open and the person has their slot here."""

    store: Store
    user_id: str
    client: HubClient
    opened: OpenedSlot


def sign_in_through_hub(files: StoreFiles, slots: KeySlots, *, username: str, password: str, code: str,
                        kdf: KdfParams = DEFAULT_KDF, factory: ClientFactory | None = None) -> HubSignIn:
    """Check the person with the hub, open the store with the device slot, make their own slot.

    The hub's refresh token becomes this workstation's hub sign-in (kept in the OS keyring). When the
    person's account has not reached this workstation yet, one sync brings it.
    """
    hub = slots.hub
    if hub is None:
        raise AuthenticationError("The user name or password is incorrect.")
    url, device_id = hub
    credential = HubCredential(url, device_id)
    client = (factory or HubClient)(url, device_id, on_refresh_token=credential.set)
    signing_key = new_private_key()  # theirs on this workstation: the hub registers it at this sign-in
    try:
        try:
            answer = _login(client, username=username, password=password, code=code,
                            signing_key=Signer("", signing_key).public_b64)
        except DeviceRevoked:
            slots.remove_all()  # as at any contact after a revocation: no way in remains
            credential.delete()
            raise
        status = str(answer.get("device_status") or "")
        if status != "approved":
            raise AuthenticationError("This workstation is waiting for an administrator to approve it; "
                                      "only the person who set it up can sign in until then.")
        secret = _secret_of(answer)
        master_key = slots.unwrap_device(secret)
        user_id = str((answer.get("user") or {}).get("id") or "")
        if not user_id:
            raise AuthenticationError("The hub did not say who signed in; ask your administrator.")
        store = open_store(files, master_key)
    except BaseException:
        client.close()
        raise
    try:
        if not _has_account(store, user_id):
            _bring_account(store, client, user_id)
        opened = slots.set_slot(username=username, user_id=user_id, password=password, master_key=master_key,
                                kdf=kdf, signing_key=signing_key, clinical_key=clinical_key_of(answer))
        registered = answer.get("signing_key_id")
        if isinstance(registered, str):
            slots.mark_registered(username, registered, device_id)
    except BaseException:
        store.close()
        client.close()
        raise
    return HubSignIn(store, user_id, client, opened)


def _login(client: HubClient, *, username: str, password: str, code: str, signing_key: str) -> dict[str, Any]:
    try:
        client.handshake(migrate.head_revision())
        return client.login(username=username, password=password, code=code, device_name=socket.gethostname(),
                            signing_key=signing_key)
    except HubUnreachable:
        raise HubUnreachable(HUB_NEEDED) from None
    except (DeviceRevoked, UpdateRequired):
        raise
    except HubRejected as exc:  # the hub's own words: wrong password or code, locked, deactivated
        raise AuthenticationError(exc.message) from None


def _secret_of(answer: dict[str, Any]) -> bytes:
    text = answer.get("device_key")
    if not isinstance(text, str) or not text:
        raise AuthenticationError(NOT_READY)
    try:
        return base64.b64decode(text.encode(), validate=True)
    except (binascii.Error, ValueError):
        raise AuthenticationError(NOT_READY) from None


def _has_account(store: Store, user_id: str) -> bool:
    with store.read() as s:
        return s.scalar(select(User.id).where(User.id == user_id)) is not None


def _bring_account(store: Store, client: HubClient, user_id: str) -> None:
    """A new colleague whose account was made after this workstation last synced: sync once now."""
    from mentalspace_desktop.sync.engine import SyncEngine  # the engine imports this module

    report = SyncEngine(store, client, user_id).run_once()
    if not _has_account(store, user_id):
        reason = report.error or "the hub did not send the account"
        raise AuthenticationError(f"Your account could not be brought to this workstation ({reason}). "
                                  "Try again in a moment.")


__all__ = ["HubSignIn", "SyncError", "ensure_escrowed", "sign_in_through_hub"]
