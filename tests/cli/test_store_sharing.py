"""A second process: commands and the app share the store safely.

A real writer process registers clients continuously (as the app does while clinic IT runs a
backup) while ``audit verify``, ``export clients`` and ``backup`` run as their own processes. Each
must succeed, and neither an export nor a backup may exist without its audit entry. When the
store stays locked beyond the busy timeout, the command says so in one line and leaves nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from mentalspace_desktop import cli
from mentalspace_desktop.errors import StoreBusy
from mentalspace_desktop.services.audit import AuditFilter, AuditService
from mentalspace_desktop.services.backup import write_backup
from mentalspace_desktop.services.clients import ClientService
from mentalspace_desktop.store import engine as store_engine
from mentalspace_desktop.store.engine import encrypted_engine
from mentalspace_desktop.store.models import AuditEntry
from tests.cli.conftest import Codes, Demo, master_key, run_cli, sign_in_args
from tests.factories import PracticeFixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def writer(demo_copy: Demo, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    stop = tmp_path / "stop"
    env = {**os.environ, "MENTALSPACE_PASSWORD": demo_copy.logins["maria"].password, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "tests.cli.store_writer", str(demo_copy.data_dir), "maria",
                             str(stop)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not Path(str(stop) + ".started").exists():
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    yield proc
    stop.write_text("stop", encoding="utf-8")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert int(out.strip()) > 0


def audit_rows(demo: Demo, action: str) -> list[str]:
    engine = encrypted_engine(demo.data_dir / "store.db", master_key(demo))
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(AuditEntry.summary).where(AuditEntry.action == action)
                                     .order_by(AuditEntry.seq)).scalars())
    finally:
        engine.dispose()


def test_verify_export_and_backup_succeed_while_another_process_writes(
        demo_copy: Demo, codes: Codes, writer: subprocess.Popen[str], tmp_path: Path) -> None:
    exports_before = len(audit_rows(demo_copy, "export"))
    backups_before = len(audit_rows(demo_copy, "backup"))
    verify = run_cli("audit", "verify", "--data-dir", demo_copy.data_dir,
                     *sign_in_args(demo_copy, codes, "marcus", tmp_path))
    out = tmp_path / "clients.csv"
    export = run_cli("export", "clients", "--data-dir", demo_copy.data_dir, "--out", out,
                     *sign_in_args(demo_copy, codes, "kevin", tmp_path))
    backup = tmp_path / "practice.msbackup"
    made = run_cli("backup", "--data-dir", demo_copy.data_dir, "--out", backup,
                   *sign_in_args(demo_copy, codes, "renee", tmp_path))
    assert writer.poll() is None  # the writer was writing all along
    assert verify.returncode == 0 and verify.stdout.startswith("OK ("), verify.stdout + verify.stderr
    assert "truncated" not in verify.stdout + verify.stderr
    assert export.returncode == 0, export.stderr
    assert made.returncode == 0, made.stderr
    backups = audit_rows(demo_copy, "backup")
    assert len(backups) == backups_before + 1 and "practice.msbackup" in backups[-1]
    assert len(audit_rows(demo_copy, "export")) == exports_before + 1


def test_a_store_locked_past_the_timeout_is_busy_in_one_line_and_nothing_leaves_unaudited(
        practice: PracticeFixture, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0.3)
    practice.admin.store.engine.dispose()  # new connections take the short timeout
    before = len(AuditService(practice.admin).entries(AuditFilter(action="backup")))
    other = store_engine.connect_encrypted(practice.files.database, practice.admin.store.master_key,
                                           practice.admin.slots.cipher_hmac)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")  # another program holds the write lock
    other.execute("UPDATE sync_state SET value = value WHERE key = 'device_id'")
    try:
        out = tmp_path / "practice.msbackup"
        with pytest.raises(StoreBusy, match="The store is busy") as raised:
            write_backup(practice.admin, out)
        assert "try again" in raised.value.message
        assert not out.exists() and not list(tmp_path.glob(".practice.msbackup*"))
        assert not any(p.is_dir() for p in (practice.files.scratch).iterdir())
        csv_out = tmp_path / "clients.csv"
        with pytest.raises(StoreBusy):
            ClientService(practice.admin).export_csv(csv_out)
        assert not csv_out.exists() and not (tmp_path / "clients.csv.part").exists()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert len(AuditService(practice.admin).entries(AuditFilter(action="backup"))) == before


def test_the_command_line_says_busy_in_one_line(demo_copy: Demo, codes: Codes, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(os, "umask", lambda mask: 0o022)  # main() would tighten the test process's umask
    key = master_key(demo_copy)
    other = store_engine.connect_encrypted(demo_copy.data_dir / "store.db", key)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE sync_state SET value = value WHERE key = 'device_id'")
    try:
        status = cli.main(["audit", "verify", "--data-dir", str(demo_copy.data_dir),
                           *map(str, sign_in_args(demo_copy, codes, "marcus", tmp_path))])
    finally:
        other.execute("ROLLBACK")
        other.close()
    err = capsys.readouterr().err
    assert status == 1
    assert err.count("\n") == 1 and err.startswith("mentalspace: The store is busy"), err


def test_a_write_takes_the_lock_when_it_begins(practice: PracticeFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    """BEGIN IMMEDIATE: a write waits for the lock up front, never upgrades a read mid-way (which
    another process's commit makes fail at once with "database is locked", whatever the timeout)."""
    monkeypatch.setattr(store_engine, "BUSY_TIMEOUT_SECONDS", 0.2)
    practice.admin.store.engine.dispose()
    other = store_engine.connect_encrypted(practice.files.database, practice.admin.store.master_key,
                                           practice.admin.slots.cipher_hmac)
    other.isolation_level = None
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(StoreBusy), practice.admin.store.write():
            pass  # no statement at all: only BEGIN IMMEDIATE can have met the lock
        assert time.monotonic() - started >= 0.15  # it waited for the busy timeout first
    finally:
        other.execute("ROLLBACK")
        other.close()
    with practice.admin.store.write():
        pass  # and once the other program is done, writing goes on
