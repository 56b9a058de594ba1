"""Creating and opening stores: migrations with a backup first, refusal of newer stores, damage checks."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.errors import StoreCorrupt, StoreExists, StoreTooNew
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.engine import CURRENT_HMAC, check_undamaged, encrypted_engine
from mentalspace_desktop.store.files import StoreFiles, make_private_dir, tighten
from mentalspace_desktop.store.keyslots import KeySlots, new_master_key
from mentalspace_desktop.store.models import SyncState
from mentalspace_desktop.store.scratch import sweep


def create_store(files: StoreFiles, *, revision: str = "head") -> tuple[Store, KeySlots]:
    """A new, empty store with a fresh master key and device id. No user slot yet: add one next."""
    if files.exists():
        raise StoreExists(f"A store already exists in {files.data_dir}.")
    make_private_dir(files.data_dir)
    master_key = new_master_key()
    engine = encrypted_engine(files.database, master_key, CURRENT_HMAC)
    migrate.upgrade(engine, revision)
    device_id = new_id()
    store_id = new_id()
    with engine.begin() as conn:
        conn.execute(
            insert(SyncState),
            [{"key": "device_id", "value": device_id}, {"key": "store_id", "value": store_id}],
        )
    slots = KeySlots.create(files.key_slots, store_id)
    current = migrate.current_revision(engine) or ""
    return Store(files, engine, master_key, current), slots


def open_store(files: StoreFiles, master_key: bytes) -> Store:
    """Open the store, migrating an older one after a backup and refusing a newer one."""
    if not files.database.exists():
        raise StoreCorrupt(f"The store file {files.database} is missing. Restore it from a backup.")
    hmac = KeySlots.load(files.key_slots).cipher_hmac
    check_undamaged(files.database, master_key, hmac)  # before anything can write to it
    sweep(files)  # what a killed backup left behind
    _tighten(files)
    engine = encrypted_engine(files.database, master_key, hmac)
    try:
        current = migrate.current_revision(engine)
        head = migrate.head_revision()
        if current is None:
            raise StoreCorrupt(f"{files.database} holds no MentalSpace data. Restore it from a backup.")
        if current not in migrate.known_revisions():
            raise StoreTooNew(
                "This store was last opened by a newer version of MentalSpace Desktop. "
                "Install the newer version to open it; nothing was changed."
            )
        if current != head:
            backup_before_migration(engine, files, current)
            migrate.upgrade(engine)
    except BaseException:
        engine.dispose()
        raise
    return Store(files, engine, master_key, head)


def backup_before_migration(engine: Engine, files: StoreFiles, revision: str) -> None:
    """Copy the (still encrypted) store and key file aside before changing its schema."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    make_private_dir(files.backups)
    target = make_private_dir(files.backups / f"before-migration-{revision}-{stamp}")
    for source in (files.database, files.key_slots):
        shutil.copy2(source, target / source.name)
        tighten(target / source.name)


def _tighten(files: StoreFiles) -> None:
    """Owner-only modes on a store made by a version that left them readable by others."""
    make_private_dir(files.data_dir)
    for path in (files.database, files.key_slots, *(files.database.with_name(files.database.name + suffix)
                                                     for suffix in ("-wal", "-shm"))):
        tighten(path)
