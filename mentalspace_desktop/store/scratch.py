"""Scratch folders for work that leaves copies of the store on disk, and removing what a killed
process left behind.

A backup makes an encrypted copy of the database and a zip before the finished file takes its
name. If the process is killed half-way, those copies must not stay on disk forever: each job works
in its own folder under the store's ``.scratch`` folder, holds a lock on it while it runs, and lists
there every file it makes elsewhere (the finished zip waits beside its destination until it is
renamed into place). Every start of the app or of a command (``open_store``) sweeps the folders
whose owner is gone: nothing is locked by a live process, so what is left is removed.

POSIX: the lock is an ``flock`` on a file in the folder, released by the kernel when the process
dies, however it dies. Windows: a folder holding a file that a live process has open cannot be
renamed, which tells a running job from a dead one the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from mentalspace_desktop.store.files import StoreFiles, make_private_dir

LOCK = "owner.lock"
OUTSIDE = "outside.txt"
_GRACE_SECONDS = 60

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


class Scratch:
    """One job's scratch folder. ``outside(path)`` registers a file made elsewhere before it exists."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def outside(self, path: Path) -> Path:
        with (self.path / OUTSIDE).open("a", encoding="utf-8") as handle:
            handle.write(str(Path(path).resolve()) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        return path


@contextmanager
def scratch_folder(files: StoreFiles, purpose: str) -> Iterator[Scratch]:
    """A private folder for one job; it and every file it registered are gone when the job ends."""
    root = make_private_dir(files.scratch)
    path = Path(tempfile.mkdtemp(prefix=f"{purpose}-", dir=root))  # mkdtemp: 0700
    lock = _hold(path / LOCK)
    try:
        yield Scratch(path)
    finally:
        _remove(path)
        lock.close()


def sweep(files: StoreFiles) -> list[Path]:
    """Remove the scratch folders (and their registered outside files) of jobs no longer running."""
    removed: list[Path] = []
    if not files.scratch.is_dir():
        return removed
    for path in sorted(files.scratch.iterdir()):
        if not path.is_dir() or _in_use(path):
            continue
        _remove(path)
        removed.append(path)
    return removed


def _hold(lock_path: Path) -> IO[Any]:
    handle = lock_path.open("a+b")
    if fcntl is not None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
    return handle


def _in_use(path: Path) -> bool:
    lock_path = path / LOCK
    if fcntl is not None:
        if not lock_path.exists():  # made a moment ago and not locked yet, or its owner died then
            return time.time() - path.stat().st_mtime < _GRACE_SECONDS
        with lock_path.open("a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            return False
    probe = path.with_name(path.name + ".sweeping")
    try:
        os.rename(path, probe)  # fails on Windows while the owner holds its lock file open
    except OSError:
        return True
    os.rename(probe, path)
    return False


def _remove(path: Path) -> None:
    listed = path / OUTSIDE
    if listed.exists():
        for line in listed.read_text(encoding="utf-8").splitlines():
            if line.strip():
                Path(line.strip()).unlink(missing_ok=True)
    shutil.rmtree(path, ignore_errors=True)
