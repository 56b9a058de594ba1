"""Putting a complete store, built or unpacked in a scratch folder, where the app will look for it.

Demo creation and restore both assemble a store beside its destination (same file system) and then
rename it into place, so the app never finds half a store in its data folder.
"""

from __future__ import annotations

import os
from pathlib import Path

from mentalspace_desktop.errors import StoreExists
from mentalspace_desktop.store.files import StoreFiles, make_private_dir


def place_store(src: Path, data_dir: Path) -> None:
    """Move the store in ``src`` to ``data_dir``, which must not hold a store already.

    A missing ``data_dir`` is made by renaming ``src`` (one atomic step). An existing folder (empty,
    or holding other files) receives the files one by one, the key file last: a store without its
    key file reads as damaged, never as a working store with missing data.
    """
    target = StoreFiles(Path(data_dir))
    if target.exists():
        raise StoreExists(f"A store already exists in {target.data_dir}.")
    if not target.data_dir.exists():
        target.data_dir.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, target.data_dir)
        make_private_dir(target.data_dir)
    else:
        names = sorted(os.listdir(src), key=lambda name: name == target.key_slots.name)
        make_private_dir(target.data_dir)
        for name in names:
            os.replace(Path(src) / name, target.data_dir / name)
    _sync_dir(target.data_dir.parent)
    _sync_dir(target.data_dir)


def _sync_dir(path: Path) -> None:
    if hasattr(os, "O_DIRECTORY"):
        fd = os.open(path, os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
