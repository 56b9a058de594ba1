"""A second process using the store the way the app does: registering clients, one after another.

Run as ``python -m tests.cli.store_writer DATA_DIR USER STOP_FILE`` with the user's password in
MENTALSPACE_PASSWORD; writes a client every few milliseconds until STOP_FILE appears, then prints
how many it registered.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import select

from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.services.session import UserSession, actor_of
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import User
from mentalspace_desktop.store.opening import open_store


def main(data_dir: str, username: str, stop_file: str) -> int:
    files = StoreFiles(Path(data_dir))
    slots = KeySlots.load(files.key_slots)
    user_id, key = slots.unwrap(username, os.environ["MENTALSPACE_PASSWORD"])
    store = open_store(files, key)
    with store.read() as s:
        user = s.scalars(select(User).where(User.id == user_id)).one()
    session = UserSession(store, slots, actor_of(user))
    service = ClientService(session)
    Path(stop_file + ".started").write_text("started", encoding="utf-8")
    written = 0
    try:
        while not Path(stop_file).exists():
            service.register(ClientInput(first_name="Writer", last_name=f"Process{written}", dob=date(1990, 1, 1)))
            written += 1
            time.sleep(0.002)
    finally:
        store.close()
    print(written)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
