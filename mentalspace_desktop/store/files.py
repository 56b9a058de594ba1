"""Where a store keeps its files, writing them so a crash never leaves half a file, and keeping
every file the app writes readable by its owner only.

On POSIX every file the app writes is 0600 and every folder it makes 0700, set explicitly when the
file is made (not left to the umask), because the store, its key file, exports and backups each
either hold records or invite offline password guessing. On Windows, POSIX modes mean little: the
files live under the user's own profile (whose inherited ACL already shuts out other users), and the
app sets no ACL of its own on folders a person picks for an export or backup.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


@dataclass(frozen=True)
class StoreFiles:
    data_dir: Path

    @property
    def database(self) -> Path:
        return self.data_dir / "store.db"

    @property
    def key_slots(self) -> Path:
        return self.data_dir / "keyslots.json"

    @property
    def backups(self) -> Path:
        return self.data_dir / "backups"

    @property
    def scratch(self) -> Path:
        """Where half-made backups live while they are written, so the next start can remove them."""
        return self.data_dir / ".scratch"

    def exists(self) -> bool:
        return self.database.exists() or self.key_slots.exists()


def _posix() -> bool:
    return os.name == "posix"


def make_private_dir(path: Path) -> Path:
    """Make ``path`` (and missing parents) as a folder only its owner can enter; tighten it if it exists.

    Parents the app did not make itself are left as they are (a user's Documents folder, say).
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if _posix() and stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR:
        path.chmod(PRIVATE_DIR)
    return path


def make_private_file(path: Path) -> None:
    """Create ``path`` empty and owner-only if it does not exist; tighten it if it does."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    os.close(fd)
    if _posix():
        os.chmod(path, PRIVATE_FILE)


def tighten(path: Path) -> None:
    """Owner-only permissions on an existing file the app wrote (0600) or folder it made (0700)."""
    if _posix() and path.exists():
        path.chmod(PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)


@contextmanager
def open_private(path: Path, mode: str = "wb", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open ``path`` for writing, created owner-only (never readable by others, even for a moment)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, PRIVATE_FILE)
    if _posix():
        os.fchmod(fd, PRIVATE_FILE)  # an existing file keeps its mode through O_CREAT: tighten it
    with os.fdopen(fd, mode, **kwargs) as handle:
        yield handle


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: written to a temporary file, synced, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
