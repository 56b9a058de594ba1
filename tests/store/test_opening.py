"""Opening stores: migration after a backup, refusal of a newer store, damaged files refused plainly."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from mentalspace_desktop.errors import StoreCorrupt, StoreTooNew
from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.engine import encrypted_engine
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KdfParams
from mentalspace_desktop.store.opening import create_store, open_store
from tests.factories import PASSWORD, PracticeFixture, PracticeTemplate

CHEAP = KdfParams(time_cost=1, memory_cost_kib=8192, parallelism=1)


def digest_dir(path: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(path.iterdir()) if p.is_file()}


def test_old_store_is_migrated_to_head_after_a_backup(tmp_path: Path) -> None:
    files = StoreFiles(tmp_path / "store")
    store, slots = create_store(files, revision="0001")
    slots.set_slot(username="admin", user_id="u-1", password=PASSWORD, master_key=store.master_key, kdf=CHEAP)
    key, device_id = store.master_key, store.device_id
    assert migrate.current_revision(store.engine) == "0001"
    assert "clients" not in inspect(store.engine).get_table_names()
    store.close()

    reopened = open_store(files, key)
    try:
        assert reopened.schema_version == migrate.head_revision()
        assert migrate.current_revision(reopened.engine) == migrate.head_revision()
        assert {"clients", "insurances", "consents"} <= set(inspect(reopened.engine).get_table_names())
        assert reopened.device_id == device_id  # the data came through
    finally:
        reopened.close()

    backups = list(files.backups.iterdir())
    assert len(backups) == 1 and backups[0].name.startswith("before-migration-0001-")
    assert sorted(p.name for p in backups[0].iterdir()) == ["keyslots.json", "store.db"]
    old = encrypted_engine(backups[0] / "store.db", key)
    try:
        assert migrate.current_revision(old) == "0001"  # the backup is the store as it was
    finally:
        old.dispose()


def test_store_at_head_opens_without_a_backup(practice_template: PracticeTemplate, tmp_path: Path) -> None:
    import shutil

    shutil.copytree(practice_template.data_dir, tmp_path / "s")
    store = open_store(StoreFiles(tmp_path / "s"), practice_template.master_key)
    store.close()
    assert not (tmp_path / "s" / "backups").exists()


def test_store_from_a_newer_version_is_refused_and_left_unchanged(practice: PracticeFixture) -> None:
    key = practice.admin.store.master_key
    with practice.admin.store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    practice.admin.store.close()
    before = digest_dir(practice.data_dir)
    with pytest.raises(StoreTooNew, match="newer version"):
        open_store(practice.files, key)
    with pytest.raises(StoreTooNew):
        Authenticator(practice.files).begin("clin", PASSWORD)
    assert digest_dir(practice.data_dir) == before
    assert not practice.files.backups.exists()


@pytest.mark.parametrize("keep", [0.5, 0.9])
def test_truncated_store_is_refused(practice: PracticeFixture, keep: float) -> None:
    practice.add_client()
    key = practice.admin.store.master_key
    practice.admin.store.close()
    path = practice.files.database
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.truncate(int(size * keep) // 4096 * 4096 or 4096)
    with pytest.raises(StoreCorrupt) as info:
        open_store(practice.files, key)
    assert "backup" in info.value.message
    assert "truncated" in info.value.message or "damaged" in info.value.message


def test_store_cut_inside_its_first_page_is_refused(practice: PracticeFixture) -> None:
    key = practice.admin.store.master_key
    practice.admin.store.close()
    with practice.files.database.open("r+b") as handle:
        handle.truncate(1000)
    with pytest.raises(StoreCorrupt, match="backup"):
        open_store(practice.files, key)


def test_random_bytes_are_refused(practice: PracticeFixture) -> None:
    key = practice.admin.store.master_key
    practice.admin.store.close()
    practice.files.database.write_bytes(os.urandom(64 * 1024))
    with pytest.raises(StoreCorrupt) as info:
        open_store(practice.files, key)
    assert "damaged" in info.value.message and "backup" in info.value.message
    with pytest.raises(StoreCorrupt):
        Authenticator(practice.files).begin("clin", PASSWORD)


def test_empty_store_file_is_refused(practice: PracticeFixture) -> None:
    key = practice.admin.store.master_key
    practice.admin.store.close()
    practice.files.database.write_bytes(b"")
    with pytest.raises(StoreCorrupt, match="backup"):
        open_store(practice.files, key)


def test_missing_store_file_is_refused(practice: PracticeFixture) -> None:
    key = practice.admin.store.master_key
    practice.admin.store.close()
    practice.files.database.unlink()
    with pytest.raises(StoreCorrupt, match="missing"):
        open_store(practice.files, key)


# -- the key file ----------------------------------------------------------------------------------


def damage_key_file(practice: PracticeFixture, how: str) -> None:
    path = practice.files.key_slots
    raw = path.read_bytes()
    data = json.loads(raw)
    if how == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif how == "garbage":
        path.write_bytes(os.urandom(300))
    elif how == "not-an-object":
        path.write_text("[1, 2, 3]")
    elif how == "wrong-format":
        data["format"] = 99
        path.write_text(json.dumps(data))
    elif how == "slot-missing-fields":
        del data["slots"]["clin"]["salt"], data["slots"]["clin"]["kdf"]
        path.write_text(json.dumps(data))
    elif how == "slot-not-base64":
        data["slots"]["clin"]["salt"] = "@@not base64@@"
        path.write_text(json.dumps(data))
    elif how == "no-store-id":
        del data["store_id"]
        path.write_text(json.dumps(data))
    elif how == "bad-lock-time":
        data["slots"]["clin"]["locked_until"] = "tomorrow"
        path.write_text(json.dumps(data))
    elif how == "slot-not-an-object":
        data["slots"]["clin"] = "x"
        path.write_text(json.dumps(data))
    else:
        raise AssertionError(how)


@pytest.mark.parametrize(
    "how",
    [
        "truncated",
        "garbage",
        "not-an-object",
        "wrong-format",
        "slot-missing-fields",
        "slot-not-base64",
        "no-store-id",
        "bad-lock-time",
        "slot-not-an-object",
    ],
)
def test_damaged_key_file_is_refused_plainly(practice: PracticeFixture, how: str) -> None:
    practice.admin.store.close()
    damage_key_file(practice, how)
    with pytest.raises(StoreCorrupt) as info:
        Authenticator(practice.files).begin("clin", PASSWORD)
    assert "key file" in info.value.message and "backup" in info.value.message


def test_missing_key_file_is_refused(practice: PracticeFixture) -> None:
    practice.admin.store.close()
    practice.files.key_slots.unlink()
    with pytest.raises(StoreCorrupt, match="No MentalSpace store"):
        Authenticator(practice.files).begin("clin", PASSWORD)
