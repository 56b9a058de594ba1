"""What this store knows about its hub, kept in the store's own ``sync_state`` table.

The hub URL, the device's status on the hub, the user who enrolled it and the pull cursor are
encrypted with everything else and travel with the store's backups. The refresh token is the one
exception: it lives in the OS keyring (sync.credentials).
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import SyncState
from mentalspace_desktop.sync.protocol import Cursor

HUB_URL = "hub_url"
DEVICE_STATUS = "hub_device_status"  # pending, approved, revoked
HUB_USER_ID = "hub_user_id"  # who enrolled this workstation on the hub
CURSOR = "sync_cursor"  # the opaque cursor string, "" before the first page
EPOCH = "hub_epoch"  # the epoch of the cursor
SNAPSHOT_SEEN_PREFIX = "snapshot_seen:"  # one key per page of a fresh snapshot after an epoch change
RESNAPSHOT = "resnapshot"  # "1" while a fresh snapshot after an epoch change is under way


def get(session: Session, key: str) -> str | None:
    return session.scalar(select(SyncState.value).where(SyncState.key == key))


def put(session: Session, key: str, value: str) -> None:
    row = session.get(SyncState, key)
    if row is None:
        session.add(SyncState(key=key, value=value))
    else:
        row.value = value


def remove(session: Session, key: str) -> None:
    session.execute(delete(SyncState).where(SyncState.key == key))


def remove_prefix(session: Session, prefix: str) -> None:
    session.execute(delete(SyncState).where(SyncState.key.startswith(prefix)))


def cursor_seq(cursor: str) -> int:
    """The sequence number inside a stored cursor (0 before the first page or for a foreign string)."""
    if not cursor:
        return 0
    try:
        return Cursor.decode(cursor).seq
    except ValueError:
        return 0


def hub_url(store: Store) -> str | None:
    return store.get_state(HUB_URL)


def current_cursor(store: Store) -> str:
    return store.get_state(CURSOR) or ""


def set_values(store: Store, **values: str) -> None:
    """Write several sync_state keys in one transaction (the keys are the constants above, by name)."""
    with store.write() as s:
        for name, value in values.items():
            put(s, globals()[name.upper()], value)
