"""client_first_visits stays equal to each client's first kept session, whatever writes the sessions.

Random sequences (hypothesis) of sessions booked for a few clients, their status changed, moved,
given to another client or none, soft deleted and undone, hard deleted, and written or dropped by
sync's apply, run against a real encrypted store; after each sequence the triggers' table must hold
exactly what :func:`recount_select` works out (a client with nothing kept any more reads no first
session). A restored backup holds the rows, with its triggers working.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert, select, text, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.client_first_visits import TRIGGERS, client_first_visits, recount_select
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.factories import PracticeFixture
from tests.store.derived_support import restored, run_appointment_ops, trigger_names, type_and_clients

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


def _row(f: dict[str, Any], provider: str, type_id: str, clients: list[str]) -> dict[str, Any]:
    start = BASE + timedelta(hours=f["hours"])
    return {"client_id": clients[f["client"]], "provider_id": provider, "type_id": type_id, "status": f["status"],
            "start_at": start, "end_at": start + timedelta(minutes=50), "start_local": start.replace(tzinfo=None),
            "time_zone": "America/New_York", "deleted": False}


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
    run_appointment_ops(store, ops, partial(type_and_clients, count=4),
                        lambda f, type_id, clients: _row(f, provider, type_id, clients), BASE)
    with store.engine.connect() as conn:
        _tables_agree(conn)


def test_a_restored_backup_keeps_the_first_sessions(practice: PracticeFixture, tmp_path: Path) -> None:
    store = practice.admin.store
    provider = practice.users["clinician"]
    with store.engine.begin() as conn:
        type_id, clients = type_and_clients(conn, 4)
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
