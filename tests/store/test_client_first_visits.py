"""client_first_visits stays equal to each client's first kept session, whatever writes the sessions.

Random sequences (hypothesis) of sessions booked for a few clients, their status changed, moved,
given to another client or none, soft deleted and undone, hard deleted, and written or dropped by
sync's apply, run against a real encrypted store; after each sequence the triggers' table must hold
exactly what :func:`recount_select` works out (a client with nothing kept any more reads no first
session). A restored backup holds the rows, with its triggers working.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, insert, select, text, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.client_first_visits import TRIGGERS, client_first_visits, recount_select
from mentalspace_desktop.store.models import Client
from mentalspace_desktop.store.outbox import APPLYING_REMOTE
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType
from mentalspace_desktop.sync import apply
from tests.factories import PracticeFixture
from tests.store.derived_support import change_appointment, restored, trigger_names

BASE = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
STATUSES = ["completed", "checked_in", "no_show", "cancelled", "scheduled"]

fields = st.fixed_dictionaries({"client": st.integers(0, 3), "status": st.sampled_from(STATUSES),
                                "hours": st.integers(0, 2000)})
operations = st.lists(st.one_of(
    st.tuples(st.just("book"), fields),
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(STATUSES)),
    st.tuples(st.just("move"), st.integers(0, 99), st.integers(0, 2000)),
    st.tuples(st.just("client"), st.integers(0, 99), st.integers(0, 4)),  # 4: no client (a group's)
    st.tuples(st.just("soft_delete"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("sync_new"), fields),
    st.tuples(st.just("sync_drop"), st.integers(0, 99)),
), max_size=14)


def _setup(conn: Any) -> tuple[str, list[str]]:
    """An appointment type and four clients (made on the first call, found after)."""
    type_id = conn.scalar(select(AppointmentType.id).limit(1))
    if type_id is None:
        type_id = new_id()
        conn.execute(insert(AppointmentType), [{"id": type_id, "name": "Individual", "category": "individual",
                                                "default_minutes": 50, "deleted": False}])
        conn.execute(insert(Client), [{"id": new_id(), "chart_number": f"C{k}", "first_name": "A", "last_name": "B",
                                       "dob": date(1980, 1, 1), "status": "active", "deleted": False,
                                       "preferred_language": "English", "uses_telehealth": False,
                                       "last_key": "b", "first_key": "a"} for k in range(4)])
    return str(type_id), list(conn.scalars(select(Client.id).order_by(Client.chart_number)))


def _row(f: dict[str, Any], provider: str, type_id: str, clients: list[str]) -> dict[str, Any]:
    start = BASE + timedelta(hours=f["hours"])
    return {"client_id": clients[f["client"]], "provider_id": provider, "type_id": type_id, "status": f["status"],
            "start_at": start, "end_at": start + timedelta(minutes=50), "start_local": start.replace(tzinfo=None),
            "time_zone": "America/New_York", "deleted": False}


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _tables_agree(conn: Any) -> None:
    held = {r[0]: r[1] for r in conn.execute(text("SELECT client_id, first_kept_at FROM client_first_visits"))
            if r[1] is not None}
    assert held == {r[0]: r[1] for r in conn.execute(text(recount_select()))}


def test_the_triggers_are_there_at_head(practice: PracticeFixture) -> None:
    assert set(TRIGGERS) <= trigger_names(practice.admin.store)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_triggers_keep_each_clients_first_kept_session(practice: PracticeFixture, ops: list[tuple[Any, ...]]) -> None:
    store = practice.admin.store
    provider = practice.users["clinician"]
    a = Appointment.__table__
    assert isinstance(a, Table)
    for op, *args in ops:
        with store.engine.begin() as conn:
            type_id, clients = _setup(conn)
            ids = list(conn.scalars(select(a.c.id).order_by(a.c.id)))
        pick = ids[args[0] % len(ids)] if ids and isinstance(args[0], int) else None
        if op in ("sync_new", "sync_drop"):
            with store.write() as s:
                s.info[APPLYING_REMOTE] = True
                if op == "sync_new":
                    apply.apply_row(s, "appointments", new_id(), _wire(_row(args[0], provider, type_id, clients)),
                                    None, pending={})
                elif pick is not None:
                    apply.drop_row(s, "appointments", pick)
            continue
        with store.engine.begin() as conn:
            if op == "book":
                conn.execute(insert(a), [{"id": new_id(), **_row(args[0], provider, type_id, clients)}])
            elif pick is None:
                continue
            elif op == "move":
                start = BASE + timedelta(hours=args[1])
                change_appointment(conn, op, pick, {"start_at": start, "end_at": start + timedelta(minutes=50)})
            elif op == "client":
                conn.execute(update(a).where(a.c.id == pick).values(
                    client_id=clients[args[1]] if args[1] < len(clients) else None))
            else:
                assert change_appointment(conn, op, pick, args[1] if len(args) > 1 else None)
    with store.engine.connect() as conn:
        _tables_agree(conn)


def test_a_restored_backup_keeps_the_first_sessions(practice: PracticeFixture, tmp_path: Path) -> None:
    store = practice.admin.store
    provider = practice.users["clinician"]
    with store.engine.begin() as conn:
        type_id, clients = _setup(conn)
        conn.execute(insert(Appointment), [
            {"id": new_id(), **_row({"client": k % 4, "status": status, "hours": 24 * k}, provider, type_id, clients)}
            for k, status in enumerate(STATUSES * 2)])
    with restored(practice, tmp_path) as session, session.store.engine.begin() as conn:
        assert conn.scalar(select(client_first_visits.c.first_kept_at).where(
            client_first_visits.c.client_id == clients[0])) == BASE
        _tables_agree(conn)
        conn.execute(update(Appointment).values(status="no_show"))
        _tables_agree(conn)
        assert conn.execute(select(client_first_visits).where(
            client_first_visits.c.first_kept_at.is_not(None))).all() == []
