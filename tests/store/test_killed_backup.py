"""A killed backup leaves no copy of the store behind past the next start.

A backup process is killed with SIGKILL at two points (while writing its zip, and with the finished
zip waiting beside its destination). Both leave encrypted copies of the practice's records on disk;
the next start (any command or the app opening the store) removes them. A backup still running in
another process is left alone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mentalspace_desktop.services.audit import AuditFilter, AuditService
from mentalspace_desktop.store.opening import open_store
from tests.factories import PracticeFixture

ROOT = Path(__file__).resolve().parents[2]


def victim(practice: PracticeFixture, out: Path, when: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.backup_victim", str(practice.data_dir),
         practice.admin.store.master_key.hex(), str(out), when],
        env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def leftovers(practice: PracticeFixture, out: Path) -> list[str]:
    scratch = practice.files.scratch
    found = [str(p) for p in scratch.iterdir()] if scratch.exists() else []
    return found + [str(p) for p in out.parent.glob(f".{out.name}*")]


@pytest.mark.parametrize("when", ["zip", "rename"])
def test_the_next_start_removes_what_a_killed_backup_left(practice: PracticeFixture, tmp_path: Path,
                                                          when: str) -> None:
    out = tmp_path / "outputs" / "practice.msbackup"
    proc = victim(practice, out, when)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, err.decode()
    left = leftovers(practice, out)
    assert left, "the kill came too late to leave anything"
    if when == "rename":
        assert any(name.endswith(".part") for name in left)  # a whole encrypted copy beside the output
    assert not out.exists()

    open_store(practice.files, practice.admin.store.master_key).close()  # the next start
    assert leftovers(practice, out) == []
    assert not out.exists()
    assert not [e for e in AuditService(practice.admin).entries(AuditFilter(action="backup"))]


def test_a_backup_running_in_another_process_is_left_alone(practice: PracticeFixture, tmp_path: Path) -> None:
    out = tmp_path / "practice.msbackup"
    proc = victim(practice, out, "hold")
    try:
        deadline = time.monotonic() + 120
        while not Path(str(out) + ".holding").exists():
            assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
            assert time.monotonic() < deadline
            time.sleep(0.05)
        running = leftovers(practice, out)
        assert running
        open_store(practice.files, practice.admin.store.master_key).close()  # another start meanwhile
        assert leftovers(practice, out) == running
    finally:
        proc.kill()
        proc.communicate(timeout=60)
    open_store(practice.files, practice.admin.store.master_key).close()
    assert leftovers(practice, out) == []
