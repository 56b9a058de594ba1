"""What the tests of the trigger-kept tables share (metric_day_totals, metric_note_rows,
client_first_visits): the triggers a store holds, a store restored from a backup of the practice's,
and the appointment changes the random sequences make."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, text, update

from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.services.backup import restore_backup, write_backup
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.factories import ADMIN_PASSWORD, PracticeFixture


def trigger_names(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {r[0] for r in conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))}


@contextmanager
def restored(practice: PracticeFixture, tmp_path: Path) -> Iterator[UserSession]:
    """The administrator signed in to a store restored from a backup of the practice's."""
    out = tmp_path / "practice.msbackup"
    write_backup(practice.admin, out)
    folder = tmp_path / "restored"
    restore_backup(out, folder)
    auth = Authenticator(StoreFiles(folder))
    session = auth.complete(auth.begin("admin", ADMIN_PASSWORD), practice.backup_codes[0])
    try:
        yield session
    finally:
        session.close()


def change_appointment(conn: Any, op: str, appointment_id: str, value: Any) -> bool:
    """Apply one of the changes every sequence makes (a new status, new instants, a soft delete or its
    undoing, a hard delete); False for another kind of change."""
    a = Appointment.__table__
    assert isinstance(a, Table)
    if op == "status":
        conn.execute(update(a).where(a.c.id == appointment_id).values(status=value))
    elif op == "move":
        conn.execute(update(a).where(a.c.id == appointment_id).values(**value))
    elif op == "soft_delete":
        conn.execute(update(a).where(a.c.id == appointment_id).values(deleted=value))
    elif op == "delete":
        conn.execute(delete(a).where(a.c.id == appointment_id))
    else:
        return False
    return True
