"""Where a store keeps its files, and writing them so a crash never leaves half a file."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


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

    def exists(self) -> bool:
        return self.database.exists() or self.key_slots.exists()


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: written to a temporary file, synced, then renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
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
