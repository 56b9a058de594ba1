"""Connecting a workstation's store to a practice hub: sign in, wait for approval, first sync.

An administrator approves every new workstation on the hub before it receives any data. Until then
its sign-in is good only for asking whether it has been approved. The hub URL and the device's
status live in the store (sync_state); the refresh token in the OS keyring (sync.credentials).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import delete

from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.messaging_models import MessagingSetting
from mentalspace_desktop.sync import signing, state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.credentials import HubCredential
from mentalspace_desktop.sync.errors import DeviceRevoked, NotConnected, SyncError

ClientFactory = Callable[..., HubClient]


@dataclass(frozen=True)
class Connection:
    hub_url: str
    device_id: str
    status: str  # pending, approved, revoked
    user_id: str | None
    credential_warning: str | None  # set when the OS has no keyring (token kept for this session)
    signing_key_id: str | None = None  # the signing key the hub registered at this sign-in
    clinical_key: bytes | None = field(default=None, repr=False)  # handed to an allowed role


def _client_for(store: Store, hub_url: str, credential: HubCredential,
                factory: ClientFactory = HubClient) -> HubClient:
    return factory(hub_url, store.device_id, refresh_token=credential.get(), on_refresh_token=credential.set)


@dataclass(frozen=True)
class SignedIn:
    status: str
    user_id: str | None
    signing_key_id: str | None
    clinical_key: bytes | None = field(repr=False)


def sign_in(store: Store, client: HubClient, *, username: str, password: str, code: str, device_name: str,
            enrolling: bool = False, new_signing_key: str | None = None,
            signing_key: bytes | None = None) -> SignedIn:
    """Handshake, then sign this store's device in on ``client``; records what the hub answered.

    The handshake comes first so a version the hub cannot serve is refused before any sign-in. The
    client keeps the new tokens (and hands the refresh token to its ``on_refresh_token``). The device
    status is always recorded; when ``enrolling``, also the hub's URL and who enrolled the workstation
    (a later sign-in, perhaps by a colleague, leaves those as they were). The person's signing key for
    this workstation is registered with it, and the clinical key handed to an allowed role goes into
    their slot (sync/signing.py). ``signing_key``: the person's private key when the caller holds it
    (their session); otherwise their slot is opened with ``password`` to read it — never the public
    key in the clear, which anyone holding the file could swap for their own. ``new_signing_key``: the
    public key to register for someone who has no slot here yet (a new workstation).
    """
    client.handshake(store.schema_version)
    slots = KeySlots.load(store.files.key_slots)
    fields = {"signing_key": new_signing_key} if new_signing_key else signing.login_fields(
        slots, username, password, signing_key=signing_key)
    answer = client.login(username=username, password=password, code=code, device_name=device_name, **fields)
    clinical = signing.take_login_answer(slots, username, password, answer, device_id=store.device_id,
                                         sent_key=fields.get("signing_key"))
    status = str(answer.get("device_status") or "pending")
    user = answer.get("user") or {}
    user_id = str(user.get("id")) if user.get("id") else None
    values = {"device_status": status}
    if enrolling:
        values["hub_url"] = client.base_url
        if user_id:
            values["hub_user_id"] = user_id
    state.set_values(store, **values)
    if enrolling:
        forget_messaging_settings(store)
    registered = answer.get("signing_key_id")
    return SignedIn(status, user_id, registered if isinstance(registered, str) else None, clinical)


def forget_messaging_settings(store: Store) -> None:
    """A workstation joining a hub stops sending reminders (the hub sends them): its own e-mail
    password and Twilio auth token are erased, so secrets stay only where sending happens. A store
    moved to a hub whole has already handed them over (``hub/services/setup.py``)."""
    with store.write() as session:
        session.execute(delete(MessagingSetting))


def connect(store: Store, hub_url: str, *, username: str, password: str, code: str, device_name: str,
            factory: ClientFactory = HubClient, new_signing_key: str | None = None,
            signing_key: bytes | None = None) -> tuple[Connection, HubClient]:
    """Sign this workstation in to the hub; an unknown workstation becomes ``pending``."""
    hub_url = hub_url.rstrip("/")
    credential = HubCredential(hub_url, store.device_id)
    client = factory(hub_url, store.device_id, on_refresh_token=credential.set)
    try:
        done = sign_in(store, client, username=username, password=password, code=code,
                       device_name=device_name, enrolling=True, new_signing_key=new_signing_key,
                       signing_key=signing_key)
    except BaseException:
        client.close()
        raise
    return Connection(hub_url, store.device_id, done.status, done.user_id, credential.warning,
                      done.signing_key_id, done.clinical_key), client


def open_client(store: Store, *, factory: ClientFactory = HubClient) -> HubClient:
    """A client for the hub this store is connected to, with its kept refresh token (if any)."""
    url = state.hub_url(store)
    if not url:
        raise NotConnected("This workstation is not connected to a practice hub. "
                           "Run 'mentalspace connect' first.")
    return _client_for(store, url, HubCredential(url, store.device_id), factory)


def wait_for_approval(store: Store, client: HubClient, *, timeout: float, poll: float = 2.0,
                      sleep: Callable[[float], None] = time.sleep) -> str:
    """Ask the hub until an administrator approves (or revokes) this workstation, or time runs out.

    Returns the last status seen ("pending" when time ran out). Raises DeviceRevoked if refused.
    """
    deadline = time.monotonic() + max(0.0, timeout)
    while True:
        me = client.devices_me()
        status = str(me.get("status") or "pending")
        state.set_values(store, device_status=status)
        if status == "revoked":
            reason = str(me.get("reason") or "")
            raise DeviceRevoked("An administrator declined this workstation"
                                + (f" ({reason})" if reason else "") + ".", reason=reason)
        if status == "approved" or time.monotonic() >= deadline:
            return status
        sleep(min(poll, max(0.0, deadline - time.monotonic())))


def device_status(store: Store) -> str | None:
    return store.get_state(state.DEVICE_STATUS)


__all__ = ["Connection", "SyncError", "connect", "device_status", "open_client", "sign_in", "wait_for_approval"]
