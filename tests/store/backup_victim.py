"""A backup process that is killed (SIGKILL, as by a crash or the task manager) part-way through.

Run as ``python -m tests.store.backup_victim DATA_DIR KEY_HEX OUT WHEN`` where WHEN is ``zip`` (killed
while the zip is being written in the scratch folder), ``rename`` (killed with the finished zip beside
its destination, just before it takes its name) or ``hold`` (stops at the same point and waits to be
killed, so a test can check that a running backup's files are left alone). The product code runs
unchanged; only the moment of the kill is chosen here.
"""

from __future__ import annotations

import os
import signal
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from mentalspace_desktop.services import audit
from mentalspace_desktop.services.backup import write_backup
from mentalspace_desktop.services.session import UserSession, actor_of
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.opening import open_store


def main(data_dir: str, key_hex: str, out: str, when: str) -> int:
    files = StoreFiles(Path(data_dir))
    store = open_store(files, bytes.fromhex(key_hex))
    with store.read() as s:
        admin = s.scalars(select(User).where(User.username == "admin")).one()
    session = UserSession(store, KeySlots.load(files.key_slots), actor_of(admin))
    real_write = zipfile.ZipFile.write

    def die() -> None:
        if when == "hold":
            Path(out + ".holding").write_text("holding", encoding="utf-8")
            time.sleep(600)
        os.kill(os.getpid(), signal.SIGKILL)

    def write_then_die(self: zipfile.ZipFile, *args: Any, **kwargs: Any) -> None:
        real_write(self, *args, **kwargs)
        die()

    if when == "zip":
        zipfile.ZipFile.write = write_then_die  # type: ignore[method-assign]
    else:
        audit.finalise_audited = lambda *a, **k: die()  # type: ignore[assignment]
    write_backup(session, Path(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:5]))
