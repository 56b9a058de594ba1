"""A damaged store: found before anything writes, one line, non-zero, the file never written to.

Bytes are flipped at many places through the file (a fixed list of offsets: deterministic), and
each command a person runs on a store (audit verify, export, backup) is tried on some of them. The
store file and the key file must be byte-for-byte what they were, and the message must say to
restore from a backup.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest

from mentalspace_desktop import cli
from mentalspace_desktop.errors import StoreCorrupt
from mentalspace_desktop.services.backup import restore_backup, write_backup
from mentalspace_desktop.services.integrity import store_counts
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import open_store
from tests.factories import ADMIN_PASSWORD, PASSWORD, PracticeFixture

FLIP = 64  # bytes flipped at each place, as the tester did


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def flip(path: Path, offset: int, length: int = FLIP) -> None:
    with path.open("r+b") as handle:
        handle.seek(offset)
        data = handle.read(length)
        handle.seek(offset)
        handle.write(bytes(b ^ 0xA5 for b in data))


def offsets(size: int, count: int) -> list[int]:
    """``count`` places spread through a file of ``size`` bytes: the header, page edges, the middle, the end."""
    fixed = [0, 16, 100, 4000, 4096, 4096 + 1000, 8192 - FLIP]
    spread = [size * i // count for i in range(1, count - len(fixed) + 1)]
    return sorted({min(o, size - FLIP) for o in fixed + spread})


@pytest.fixture
def closed(practice: PracticeFixture) -> PracticeFixture:
    """The practice with some records, closed (its WAL checkpointed into store.db), as on disk between uses."""
    for last in ("Avery", "Brook", "Cole", "Dunn"):
        practice.add_client(last=last)
    practice.close()
    return practice


def test_byte_flips_anywhere_are_found_before_anything_writes(closed: PracticeFixture, tmp_path: Path) -> None:
    files = closed.files
    key = closed.admin.store.master_key
    pristine = tmp_path / "pristine.db"
    shutil.copy2(files.database, pristine)
    places = offsets(files.database.stat().st_size, 40)
    assert len(places) >= 30
    for offset in places:
        shutil.copy2(pristine, files.database)
        flip(files.database, offset)
        before = digest(files.database)
        with pytest.raises(StoreCorrupt) as raised:
            open_store(files, key).close()
        assert "restore it from a backup" in raised.value.message, offset
        assert digest(files.database) == before, f"the store was written to after a flip at {offset}"
        assert not files.database.with_name("store.db-wal").exists()


def test_a_file_cut_short_is_found(closed: PracticeFixture) -> None:
    files = closed.files
    with files.database.open("r+b") as handle:
        handle.truncate(files.database.stat().st_size - 3 * 4096)
    with pytest.raises(StoreCorrupt, match="restore it from a backup"):
        open_store(files, closed.admin.store.master_key)


@pytest.mark.parametrize(("command", "user", "offset_fraction"), [
    (["audit", "verify"], "admin", 0.3),
    (["export", "clients", "--out", "{tmp}/clients.csv"], "desk", 0.55),
    (["backup", "--out", "{tmp}/practice.msbackup"], "admin", 0.8),
    (["audit", "verify"], "sup", 0.0),
])
def test_each_command_on_a_damaged_store_prints_one_line_and_fails(
        closed: PracticeFixture, tmp_path: Path, command: list[str], user: str, offset_fraction: float,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(os, "umask", lambda mask: 0o022)  # main() would change the test process's umask
    files = closed.files
    flip(files.database, int(files.database.stat().st_size * offset_fraction))
    before = (digest(files.database), digest(files.key_slots))
    args = [part.replace("{tmp}", str(tmp_path)) for part in command]
    password = tmp_path / "password"
    password.write_text((ADMIN_PASSWORD if user == "admin" else PASSWORD) + "\n", encoding="utf-8")
    # No one-time code is needed: the damage is found at the password step, before the code is asked.
    status = cli.main([*args, "--data-dir", str(closed.data_dir), "--user", user, "--password-file",
                       str(password), "--totp", "000000"])
    captured = capsys.readouterr()
    assert status == 1 and captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("mentalspace: The store file"), captured.err
    assert "damaged" in lines[0] and "restore it from a backup" in lines[0]
    assert (digest(files.database), digest(files.key_slots)) == before
    assert not list(tmp_path.glob("clients.csv*")) and not list(tmp_path.glob("*msbackup*"))


def test_a_stale_wal_in_the_restore_target_is_set_aside(practice: PracticeFixture, tmp_path: Path) -> None:
    practice.add_client(last="Walford")
    backup = tmp_path / "practice.msbackup"
    write_backup(practice.admin, backup)
    target = tmp_path / "restored"
    target.mkdir()
    # What a store deleted by hand leaves behind: its -wal and -shm, from a store with another key.
    practice.add_client(last="Afterwards")
    stale = practice.files.database.with_name("store.db-wal")
    assert stale.exists() and stale.stat().st_size > 0
    shutil.copy2(stale, target / "store.db-wal")
    shutil.copy2(practice.files.database.with_name("store.db-shm"), target / "store.db-shm")
    restore_backup(backup, target)
    store = open_store(StoreFiles(target), practice.admin.store.master_key)
    try:
        from mentalspace_desktop.services.session import UserSession

        counts = store_counts(UserSession(store, practice.admin.slots, practice.admin.actor))
    finally:
        store.close()
    assert counts.clients >= 1
