"""What the tests of the trigger-kept tables share (metric_day_totals, metric_note_rows,
client_first_visits, metric_visit_rows): the triggers a store holds, a store restored from a backup
of the practice's, and the appointment changes the random sequences make and their runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, insert, select, text, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.services.accounts import Authenticator
from mentalspace_desktop.services.backup import restore_backup, write_backup
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.outbox import APPLYING_REMOTE
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from mentalspace_desktop.sync import apply
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


def type_and_clients(conn: Any, count: int) -> tuple[str, list[str]]:
    """An appointment type and ``count`` clients (made on the first call, found after)."""
    type_id = conn.scalar(select(AppointmentType.id).limit(1))
    if type_id is None:
        type_id = new_id()
        conn.execute(insert(AppointmentType), [{"id": type_id, "name": "Individual", "category": "individual",
                                                "default_minutes": 50, "deleted": False}])
        conn.execute(insert(Client), [{"id": new_id(), "chart_number": f"C{k}", "first_name": "A", "last_name": "B",
                                       "dob": date(1980, 1, 1), "status": "active", "deleted": False,
                                       "preferred_language": "English", "uses_telehealth": False,
                                       "last_key": "b", "first_key": "a"} for k in range(count)])
    return str(type_id), list(conn.scalars(select(Client.id).order_by(Client.chart_number)))


def wire(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the hub sends it: instants as ISO text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


Setup = Callable[[Any], tuple[str, list[str]]]
"""Makes (on the first call) or finds an appointment type and the clients: (type id, client ids)."""
RowOf = Callable[[dict[str, Any], str, list[str]], dict[str, Any]]
"""An appointment's columns (no id) from a sequence's fields, the type id and the clients."""


def run_appointment_ops(store: Store, ops: list[tuple[Any, ...]], setup: Setup, row_of: RowOf, base: datetime,
                        more: Callable[[Any, str, str, list[Any]], bool] | None = None) -> None:
    """Apply a random sequence of appointment writes, each in its own transaction: ``book`` and
    ``sync_new`` (sync's apply) a new one from fields, ``sync_drop`` one dropped by sync, ``move`` to
    ``base`` plus some hours, ``client`` to another (an index past the clients: none), the changes of
    :func:`change_appointment`, and whatever ``more(conn, op, appointment_id, args)`` says it made.
    An op's first argument picks an appointment among those there (skipped when there is none)."""
    a = Appointment.__table__
    assert isinstance(a, Table)
    for op, *args in ops:
        with store.engine.begin() as conn:
            type_id, clients = setup(conn)
            ids = list(conn.scalars(select(a.c.id).order_by(a.c.id)))
        pick = ids[args[0] % len(ids)] if ids and isinstance(args[0], int) else None
        if op in ("sync_new", "sync_drop"):
            with store.write() as s:
                s.info[APPLYING_REMOTE] = True
                if op == "sync_new":
                    apply.apply_row(s, "appointments", new_id(), wire(row_of(args[0], type_id, clients)), None,
                                    pending={})
                elif pick is not None:
                    apply.drop_row(s, "appointments", pick)
            continue
        with store.engine.begin() as conn:
            if op == "book":
                conn.execute(insert(a), [{"id": new_id(), **row_of(args[0], type_id, clients)}])
            elif pick is None:
                continue
            elif op == "move":
                start = base + timedelta(hours=args[1])
                change_appointment(conn, op, pick, {"start_at": start, "end_at": start + timedelta(minutes=50)})
            elif op == "client":
                conn.execute(update(a).where(a.c.id == pick).values(
                    client_id=clients[args[1]] if args[1] < len(clients) else None))
            elif more is None or not more(conn, op, pick, args):
                assert change_appointment(conn, op, pick, args[1] if len(args) > 1 else None)
