"""Every file the app writes is its owner's alone: 0600 files and 0700 folders on POSIX.

The process umask is set to the common 022 first, so the test proves the app sets the modes itself
rather than relying on the umask. Every file made along the way, including the ``.part`` files and
temporary key files that only live until they are renamed into place, is checked.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from mentalspace_desktop.services.audit import AuditFilter, AuditService, save_anchor
from mentalspace_desktop.services.backup import restore_backup, write_backup
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import open_store
from tests.factories import make_practice

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def modes_under(root: Path) -> dict[Path, int]:
    found = {root: stat.S_IMODE(root.stat().st_mode)}
    for path in root.rglob("*"):
        found[path] = stat.S_IMODE(path.lstat().st_mode)
    return found


def loose(modes: dict[Path, int]) -> dict[str, str]:
    return {str(p): oct(m) for p, m in modes.items() if m != (0o700 if p.is_dir() else 0o600)}


def test_every_file_the_app_writes_is_owner_only(umask_022: None, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    renamed: dict[str, int] = {}
    real_replace = os.replace

    def recording_replace(src: str | Path, dst: str | Path) -> None:
        if Path(src).is_file():
            renamed[str(src)] = stat.S_IMODE(Path(src).stat().st_mode)
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", recording_replace)
    data_dir = tmp_path / "data"
    practice = make_practice(data_dir)
    outputs = tmp_path / "outputs"
    outputs.mkdir()  # a folder the person chose: its own mode is theirs, the files in it are ours
    try:
        practice.add_client(last="Modes")
        ClientService(practice.admin).export_csv(outputs / "clients.csv")
        AuditService(practice.admin).export_csv(AuditFilter(), outputs / "audit.csv")
        save_anchor(practice.admin, outputs / "anchor.json")
        write_backup(practice.admin, outputs / "practice.msbackup")
        assert (data_dir / "store.db-wal").exists() and (data_dir / "store.db-shm").exists()
        open_modes = modes_under(data_dir)  # while the store is open: -wal and -shm too
    finally:
        practice.close()
    restored = tmp_path / "restored"
    restore_backup(outputs / "practice.msbackup", restored)
    store = open_store(StoreFiles(restored), practice.admin.store.master_key)
    try:
        restored_modes = modes_under(restored)
    finally:
        store.close()
    output_files = {p: m for p, m in modes_under(outputs).items() if p != outputs}
    assert {p.name for p in output_files} == {"clients.csv", "audit.csv", "anchor.json", "practice.msbackup"}
    assert loose(open_modes) == {}
    assert loose(restored_modes) == {}
    assert loose(output_files) == {}
    assert any(name.endswith(".part") for name in renamed)  # the exports' and backup's partial files...
    assert {name: oct(mode) for name, mode in renamed.items() if mode != 0o600} == {}  # ...were private too
    assert any(p.name == "keyslots.json" for p in restored_modes)
