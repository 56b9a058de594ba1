"""Encrypted backups: written by administrators, audited, restorable, and refused when damaged."""

from __future__ import annotations

import json
import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mentalspace_desktop.errors import BackupError, PermissionDenied, StoreExists
from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.services.audit import AuditFilter, AuditService, verify_store
from mentalspace_desktop.services.backup import check_backup, restore_backup, write_backup
from mentalspace_desktop.store.backup import MANIFEST
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import Client
from tests.factories import ADMIN_PASSWORD, PracticeFixture


@pytest.fixture
def backup(practice: PracticeFixture, tmp_path: Path) -> Path:
    practice.add_client(clinician="clinician", last="Okafor", first="Ada", dob=date(1990, 2, 3))
    practice.add_client(clinician="other_clinician", last="Nguyen", first="Linh", dob=date(1979, 11, 30))
    out = tmp_path / "backups" / "practice.msbackup"
    write_backup(practice.admin, out)
    return out


def count_clients(data_dir: Path, code: str) -> int:
    auth = Authenticator(StoreFiles(data_dir))
    session = auth.complete(auth.begin("admin", ADMIN_PASSWORD), code)
    try:
        with session.store.read() as s:
            return int(s.scalar(select(func.count()).select_from(Client)) or 0)
    finally:
        session.close()


def test_a_backup_restores_and_opens_with_the_same_password(practice: PracticeFixture, backup: Path,
                                                            tmp_path: Path) -> None:
    manifest = check_backup(backup)
    assert manifest.store_id == practice.admin.slots.store_id
    assert manifest.schema_revision == practice.admin.store.schema_version
    restored = tmp_path / "restored"
    assert restore_backup(backup, restored).store_id == manifest.store_id
    assert count_clients(restored, practice.backup_codes[0]) == 2  # a backup code also signs in
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no scratch left


def test_restore_into_an_existing_empty_folder(practice: PracticeFixture, backup: Path,
                                               tmp_path: Path) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    restore_backup(backup, target)
    # the store, its key file, and the note that tells sync it was restored (sync/engine.py)
    assert sorted(p.name for p in target.iterdir()) == ["keyslots.json", "restored-from-backup", "store.db"]
    assert count_clients(target, practice.backup_codes[2]) == 2


def test_the_restored_audit_chain_verifies(practice: PracticeFixture, backup: Path, tmp_path: Path) -> None:
    restored = tmp_path / "restored"
    restore_backup(backup, restored)
    auth = Authenticator(StoreFiles(restored))
    session = auth.complete(auth.begin("admin", ADMIN_PASSWORD), practice.backup_codes[1])
    try:
        assert verify_store(session.store) is None
    finally:
        session.close()


def test_writing_a_backup_is_audited(practice: PracticeFixture, backup: Path) -> None:
    entries = AuditService(practice.admin).entries(AuditFilter(action="backup"))
    assert len(entries) == 1 and backup.name in entries[0].summary


def test_the_database_inside_stays_encrypted(backup: Path) -> None:
    with zipfile.ZipFile(backup) as archive:
        assert archive.namelist()[0] == MANIFEST
        head = archive.read("store.db")[:16]
        manifest = json.loads(archive.read(MANIFEST))
    assert head != b"SQLite format 3\x00"
    assert manifest["magic"] == "mentalspace-backup" and manifest["format"] == 1
    assert set(manifest["parts"]) == {"store.db", "keyslots.json"}
    assert oct(backup.stat().st_mode & 0o777) == oct(0o600)


def test_only_administrators_write_backups(practice: PracticeFixture, tmp_path: Path) -> None:
    out = tmp_path / "b.msbackup"
    out.write_bytes(b"an older backup")
    with pytest.raises(PermissionDenied):
        write_backup(practice.session_for("front_desk"), out)
    assert out.read_bytes() == b"an older backup"


def test_restore_refuses_a_folder_holding_a_store(practice: PracticeFixture, backup: Path) -> None:
    with pytest.raises(StoreExists):
        restore_backup(backup, practice.data_dir)


@pytest.mark.parametrize("content", [b"", os.urandom(5000), b"PK\x03\x04" + os.urandom(200)])
def test_a_file_that_is_not_a_backup(tmp_path: Path, content: bytes) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(content)
    with pytest.raises(BackupError, match="is not a MentalSpace backup"):
        restore_backup(junk, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_a_plain_zip_is_not_a_backup(tmp_path: Path) -> None:
    plain = tmp_path / "photos.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("holiday.jpg", b"\xff\xd8")
    with pytest.raises(BackupError, match="is not a MentalSpace backup"):
        restore_backup(plain, tmp_path / "restored")


def test_a_truncated_backup_is_damaged(backup: Path, tmp_path: Path) -> None:
    cut = tmp_path / "cut.msbackup"
    cut.write_bytes(backup.read_bytes()[: backup.stat().st_size // 2])
    with pytest.raises(BackupError, match="is damaged"):
        restore_backup(cut, tmp_path / "restored")
    assert not (tmp_path / "restored").exists()


def test_a_changed_byte_is_damage(backup: Path, tmp_path: Path) -> None:
    data = bytearray(backup.read_bytes())
    with zipfile.ZipFile(backup) as archive:
        info = archive.getinfo("store.db")
    data[info.header_offset + 30 + len("store.db") + 5000] ^= 0xFF  # inside the stored database
    bad = tmp_path / "bad.msbackup"
    bad.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="is damaged"):
        restore_backup(bad, tmp_path / "restored")


def test_a_backup_from_a_newer_format_is_refused(backup: Path, tmp_path: Path) -> None:
    newer = tmp_path / "newer.msbackup"
    with zipfile.ZipFile(backup) as src, zipfile.ZipFile(newer, "w") as dst:
        manifest = json.loads(src.read(MANIFEST))
        manifest["format"] = 99
        dst.writestr(MANIFEST, json.dumps(manifest))
        for name in ("store.db", "keyslots.json"):
            dst.writestr(name, src.read(name))
    with pytest.raises(BackupError, match="newer version"):
        restore_backup(newer, tmp_path / "restored")


def test_a_missing_backup_file(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no backup file"):
        check_backup(tmp_path / "nowhere.msbackup")


def test_the_backup_cannot_go_into_a_folder_name(practice: PracticeFixture, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="is a folder"):
        write_backup(practice.admin, tmp_path)
