"""A new workstation joining a practice: an empty local store filled from the hub by its first sync.

The staff member signs in to the hub with their user name, password and one-time code. The hub
accepted that password, so the same password becomes their key slot on this workstation at once:
the store is never without a way in, and once the first sync has brought their account they sign in
here offline exactly as on any other workstation (their authenticator came with the account).

Until the first sync has finished a marker file says so (it holds nothing secret). The first sync
can be paused between pages; the next start finds the marker, asks for the password again to open
the store, and continues from the last checkpoint instead of starting over.
"""

from __future__ import annotations

import contextlib
import shutil
import threading
from dataclasses import dataclass

from sqlalchemy import select

from mentalspace_desktop.errors import AuthenticationError
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import DEFAULT_KDF, KdfParams, KeySlots
from mentalspace_desktop.store.models import Practice, User
from mentalspace_desktop.store.opening import create_store, open_store
from mentalspace_desktop.store.signing import Signer, new_private_key
from mentalspace_desktop.sync import state
from mentalspace_desktop.sync.client import HubClient
from mentalspace_desktop.sync.engine import ProgressCallback, SyncEngine, SyncReport
from mentalspace_desktop.sync.enroll import ClientFactory, connect, open_client
from mentalspace_desktop.sync.errors import DeviceRevoked

MARKER_NAME = "first-sync.pending"


def unfinished(files: StoreFiles) -> bool:
    """Whether this folder holds a workstation whose first sync has not finished yet."""
    return (files.data_dir / MARKER_NAME).exists()


@dataclass
class FirstDevice:
    """A workstation being set up: its open store, its hub client and who is setting it up."""

    files: StoreFiles
    store: Store
    slots: KeySlots
    client: HubClient
    username: str
    user_id: str
    hub_url: str
    credential_warning: str | None = None

    @property
    def device_id(self) -> str:
        return self.store.device_id

    @property
    def status(self) -> str:
        return self.store.get_state(state.DEVICE_STATUS) or "pending"

    def close(self) -> None:
        self.client.close()
        self.store.close()


def connect_new_store(files: StoreFiles, *, hub_url: str, username: str, password: str, code: str,
                      device_name: str, kdf: KdfParams = DEFAULT_KDF,
                      factory: ClientFactory = HubClient) -> FirstDevice:
    """Create an empty store in ``files``, sign this workstation in to the hub, make the key slot.

    Nothing is left behind when the hub refuses the sign-in (wrong code, unknown hub): the empty
    store is removed, so the person can simply try again.
    """
    store, slots = create_store(files)
    signing_key = new_private_key()  # registered at this very sign-in, then kept in the slot
    try:
        conn, client = connect(store, hub_url, username=username.strip(), password=password, code=code,
                               device_name=device_name, factory=factory,
                               new_signing_key=Signer("", signing_key).public_b64)
        if conn.user_id is None:
            client.close()
            raise AuthenticationError("The hub did not say who signed in; ask your administrator.")
        (files.data_dir / MARKER_NAME).write_text("first sync not finished\n", encoding="utf-8")
        # The workstation joins the practice: it adopts the hub's clinical key (an allowed role only).
        slots.set_slot(username=username.strip(), user_id=conn.user_id, password=password,
                       master_key=store.master_key, kdf=kdf, clinical_key=conn.clinical_key,
                       signing_key=signing_key)
        if conn.signing_key_id:
            slots.mark_registered(username.strip(), conn.signing_key_id, store.device_id)
    except BaseException:
        store.close()
        discard(files)
        raise
    return FirstDevice(files, store, slots, client, username.strip(), conn.user_id, conn.hub_url,
                       conn.credential_warning)


def resume(files: StoreFiles, *, username: str, password: str,
           factory: ClientFactory = HubClient) -> FirstDevice:
    """Open a workstation whose first sync was interrupted (the app was closed, or Pause)."""
    slots = KeySlots.load(files.key_slots)
    user_id, key = slots.unwrap(username.strip(), password)
    store = open_store(files, key)
    try:
        client = open_client(store, factory=factory)
    except BaseException:
        store.close()
        raise
    url = state.hub_url(store) or ""
    return FirstDevice(files, store, slots, client, username.strip(), user_id, url)


def check_approval(device: FirstDevice) -> str:
    """Ask the hub once whether an administrator approved this workstation; raises DeviceRevoked."""
    me = device.client.devices_me()
    status = str(me.get("status") or "pending")
    state.set_values(device.store, device_status=status)
    if status == "revoked":
        reason = str(me.get("reason") or "")
        raise DeviceRevoked("An administrator declined this workstation" + (f" ({reason})" if reason else "")
                            + ". Ask them before setting it up again.", reason=reason)
    return status


def first_sync(device: FirstDevice, *, progress: ProgressCallback | None = None,
               interrupt: threading.Event | None = None, page_size: int | None = None) -> SyncReport:
    """Run the first sync (or continue it). Completes the setup when every page has arrived."""
    engine = SyncEngine(device.store, device.client, device.user_id, progress=progress, interrupt=interrupt)
    if page_size:
        engine.page_size = page_size
    report = engine.run_once()
    if report.ok and not report.interrupted and is_complete(device):
        (device.files.data_dir / MARKER_NAME).unlink(missing_ok=True)
    return report


def is_complete(device: FirstDevice) -> bool:
    """The store holds the practice and this person's account: they can sign in here offline."""
    with device.store.read() as s:
        user = s.get(User, device.user_id)
        practice = s.scalars(select(Practice)).first()
    return user is not None and practice is not None


def discard(files: StoreFiles) -> None:
    """Remove a workstation store that was never set up (refused sign-in, or the person gave up)."""
    for path in (files.database, files.key_slots, files.data_dir / MARKER_NAME,
                 files.database.with_name(files.database.name + "-wal"),
                 files.database.with_name(files.database.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    if files.backups.exists():
        shutil.rmtree(files.backups, ignore_errors=True)
