"""Signing an already-connected workstation in to its hub again, after its hub sign-in was lost.

The refresh token lives in the OS keyring; without one it lasts only until the app closes, and the
hub ends a sign-in that expired or whose token was presented twice. Sync then stops with
:class:`AuthExpired` until a person signs in again with their password and a one-time code. Nothing
else changes: same hub, same device id, same records, same waiting changes — so this is not
``enroll.connect`` (which records a hub and who enrolled the workstation) but its sign-in step alone.

A store has one hub client (services.sync_status.SharedHubClient explains why); when the GUI's sync
is running, that client is passed in and takes the new tokens in place, so the scheduler, the live
listener and the administrator's pages that share it carry on with them.
"""

from __future__ import annotations

import socket

from mentalspace_desktop.store.database import Store
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.credentials import NO_KEYRING_MESSAGE, HubCredential
from mentalspace_desktop.sync.engine import lock_out_revoked
from mentalspace_desktop.sync.enroll import ClientFactory, Connection, open_client, sign_in
from mentalspace_desktop.sync.errors import DeviceRevoked, NotConnected


def _keep(credential: HubCredential, token: str | None) -> str | None:
    """Make sure the new refresh token is what the credential holds; the warning to show, if any.

    The client already handed the token to its ``on_refresh_token``; reading it back checks that it
    was really kept (a keyring can refuse) and tells whether it will outlive this session.
    """
    if token and credential.get() != token:
        credential.set(token)
    return None if credential.persistent else (credential.warning or NO_KEYRING_MESSAGE)


def sign_in_again(store: Store, *, username: str, password: str, code: str, device_name: str | None = None,
                  client: HubClient | None = None, factory: ClientFactory = HubClient,
                  signing_key: bytes | None = None) -> Connection:
    """Sign this store's device in to its hub again; the new refresh token goes to the keyring.

    ``client``: the store's open hub client, if any (it takes the new tokens); otherwise a client is
    opened with ``factory`` for the sign-in and closed again — the next ``open_client`` finds the
    token. ``device_name`` only matters if the hub no longer knows this device (it then enrols it as
    pending, under this name); by default the computer's name.

    The person's signing key for this workstation is registered with the hub (their changes that
    waited for it go out at the next sync), and an allowed role receives the clinical key into their
    slot (used from their next sign-in here). ``signing_key``: the person's own, when their session
    holds it (else their slot is opened with the password to read it).

    Raises the errors of sync.errors: HubRejected with the hub's own words for a wrong password or
    code (nothing is changed then), HubUnreachable, UpdateRequired, and DeviceRevoked — after which,
    as at any contact with the hub, this workstation's key slots and token are destroyed.
    """
    url = state.hub_url(store)
    if not url:
        raise NotConnected("This workstation is not connected to a practice hub, so there is no hub to "
                           "sign in to.")
    if client is not None and (client.base_url != url.rstrip("/") or client.device_id != store.device_id):
        raise ValueError("the client given is not this store's hub client")
    hub = client if client is not None else open_client(store, factory=factory)
    name = (device_name or socket.gethostname() or "Workstation")[:100]
    try:
        # The client's own refreshes (live listener, a sync run) wait: interleaved with the sign-in,
        # a refresh with the old token could wipe the new access token it has just received.
        with hub._refresh_lock:
            done = sign_in(store, hub, username=username.strip(), password=password,
                           code=code.strip(), device_name=name, signing_key=signing_key)
    except DeviceRevoked as exc:
        lock_out_revoked(store, exc)
        raise
    finally:
        if client is None:
            hub.close()
    warning = _keep(HubCredential(url, store.device_id), hub.refresh_token)
    return Connection(url.rstrip("/"), store.device_id, done.status, done.user_id, warning, done.signing_key_id,
                      done.clinical_key)


__all__ = ["sign_in_again"]
