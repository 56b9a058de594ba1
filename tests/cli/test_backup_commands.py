"""``mentalspace backup`` and ``mentalspace restore``: round trip and clear refusals."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import Client
from tests.cli.conftest import Codes, Demo, client_count, one_error_line, run_cli, sign_in_args


def test_backup_then_restore_signs_in_with_the_same_credentials(demo: Demo, codes: Codes,
                                                                tmp_path: Path) -> None:
    backup = tmp_path / "practice.msbackup"
    made = run_cli("backup", "--data-dir", demo.data_dir, "--out", backup,
                   *sign_in_args(demo, codes, "renee", tmp_path))
    assert made.returncode == 0, made.stderr
    assert backup.is_file()

    restored = tmp_path / "restored"
    result = run_cli("restore", backup, "--data-dir", restored, *sign_in_args(demo, codes, "kevin", tmp_path))
    assert result.returncode == 0, result.stderr
    assert "kevin signed in" in result.stdout

    denise = demo.logins["denise"]
    auth = Authenticator(StoreFiles(restored))
    session = auth.complete(auth.begin("denise", denise.password), codes.fresh(denise.totp_secret))
    try:
        with session.store.read() as s:
            restored_count = s.scalar(select(func.count()).select_from(Client))
    finally:
        session.close()
    assert restored_count == client_count(demo) >= 200
    assert f"{restored_count} clients" in result.stdout


def test_only_an_administrator_may_write_a_backup(demo: Demo, codes: Codes, tmp_path: Path) -> None:
    backup = tmp_path / "b.msbackup"
    result = run_cli("backup", "--data-dir", demo.data_dir, "--out", backup,
                     *sign_in_args(demo, codes, "priya", tmp_path))
    assert result.returncode == 1
    assert "does not allow" in one_error_line(result)
    assert not backup.exists()


def test_restoring_a_file_that_is_not_a_backup(demo: Demo, tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_bytes(os.urandom(4096))
    target = tmp_path / "restored"
    result = run_cli("restore", junk, "--data-dir", target, *sign_in_args(demo, None, "jordan", tmp_path))
    assert result.returncode == 1
    assert one_error_line(result) == f"mentalspace: {junk} is not a MentalSpace backup."
    assert not (target / "store.db").exists()


def test_restoring_a_missing_file(demo: Demo, tmp_path: Path) -> None:
    result = run_cli("restore", tmp_path / "gone.msbackup", "--data-dir", tmp_path / "restored",
                     *sign_in_args(demo, None, "jordan", tmp_path))
    assert result.returncode == 1
    assert "There is no backup file" in one_error_line(result)


def test_restore_refuses_a_folder_that_holds_a_store(demo: Demo, tmp_path: Path) -> None:
    junk = tmp_path / "x.msbackup"
    junk.write_bytes(b"whatever")
    result = run_cli("restore", junk, "--data-dir", demo.data_dir,
                     *sign_in_args(demo, None, "jordan", tmp_path))
    assert result.returncode == 1
    assert "already exists" in one_error_line(result)
