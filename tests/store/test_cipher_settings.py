"""A store always opens with the page algorithm it was made with, recorded in its key file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from mentalspace_desktop.errors import StoreCorrupt
from mentalspace_desktop.store.engine import CURRENT_HMAC, LEGACY_HMAC, encrypted_engine
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.opening import create_store, open_store


def test_a_new_store_records_its_algorithm(tmp_path: Path) -> None:
    store, slots = create_store(StoreFiles(tmp_path / "s"))
    store.close()
    assert KeySlots.load(slots.path).cipher_hmac == CURRENT_HMAC


def test_a_store_from_before_the_record_opens_with_the_old_default(tmp_path: Path) -> None:
    files = StoreFiles(tmp_path / "s")
    store, slots = create_store(files)
    key = store.master_key
    store.close()
    # Rebuild the database as an older version made it (SHA-512 pages), and drop the record.
    files.database.unlink()
    old = encrypted_engine(files.database, key, LEGACY_HMAC)
    with old.begin() as conn:
        conn.execute(text("CREATE TABLE t (x)"))
    old.dispose()
    data = json.loads(files.key_slots.read_text())
    del data["cipher"]
    files.key_slots.write_text(json.dumps(data))

    assert KeySlots.load(files.key_slots).cipher_hmac == LEGACY_HMAC
    with pytest.raises(StoreCorrupt):  # the new algorithm cannot read it ...
        encrypted_engine(files.database, key, CURRENT_HMAC).connect()
    with pytest.raises(StoreCorrupt, match="no MentalSpace data"):  # ... the recorded one can
        open_store(files, key)


def test_an_unknown_algorithm_is_refused_clearly(tmp_path: Path) -> None:
    files = StoreFiles(tmp_path / "s")
    store, _ = create_store(files)
    key = store.master_key
    store.close()
    data = json.loads(files.key_slots.read_text())
    data["cipher"] = {"hmac": "HMAC_MD5"}
    files.key_slots.write_text(json.dumps(data))
    with pytest.raises(StoreCorrupt, match="unknown page algorithm"):
        open_store(files, key).close()
