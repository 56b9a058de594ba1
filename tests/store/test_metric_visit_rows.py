"""metric_visit_rows stays equal to a fresh reading of the appointments, whatever writes them.

Random sequences (hypothesis) of sessions booked for a few clients with two clinicians, at a few
instants (so that sessions share one), their status changed, moved, given to another client or none
or another clinician, turned to video or back, soft deleted and undone, hard deleted, and written or
dropped by sync's apply, run against a real encrypted store; after each sequence the triggers' table
must hold exactly what :func:`recount_select` works out: every kept session's row, its client's next
kept session and next booking with their clinicians, whether another kept session shares its
instant, its video flag. A restored backup holds the rows, with its triggers working.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, insert, select, text, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.metric_visit_rows import COLUMNS, TRIGGERS, metric_visit_rows, recount_select
from mentalspace_desktop.store.scheduling_models import Appointment
from tests.factories import PracticeFixture
from tests.store.derived_support import restored, run_appointment_ops, trigger_names, type_and_clients

BASE = datetime(2026, 6, 1, 14, 0, tzinfo=UTC)
STATUSES = ["completed", "checked_in", "no_show", "cancelled", "scheduled", "confirmed", "rescheduled"]
HOURS = st.sampled_from([0, 24, 48, 49, 24 * 30, 24 * 31])  # few instants: sessions share them

fields = st.fixed_dictionaries({"client": st.integers(0, 2), "status": st.sampled_from(STATUSES),
                                "hours": HOURS, "provider": st.integers(0, 1), "telehealth": st.booleans()})
operations = st.lists(st.one_of(
    st.tuples(st.just("book"), fields),
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(STATUSES)),
    st.tuples(st.just("move"), st.integers(0, 99), HOURS),
    st.tuples(st.just("client"), st.integers(0, 99), st.integers(0, 3)),  # 3: no client (a group's)
    st.tuples(st.just("provider"), st.integers(0, 99), st.integers(0, 1)),
    st.tuples(st.just("telehealth"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("soft_delete"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("sync_new"), fields),
    st.tuples(st.just("sync_drop"), st.integers(0, 99)),
), max_size=16)


def _row(f: dict[str, Any], providers: list[str], type_id: str, clients: list[str]) -> dict[str, Any]:
    start = BASE + timedelta(hours=f["hours"])
    return {"client_id": clients[f["client"]], "provider_id": providers[f["provider"]], "type_id": type_id,
            "status": f["status"], "start_at": start, "end_at": start + timedelta(minutes=50),
            "start_local": start.replace(tzinfo=None), "time_zone": "America/New_York", "deleted": False,
            "telehealth": f.get("telehealth", False)}


def _tables_agree(conn: Any) -> None:
    held = sorted(tuple(r) for r in conn.execute(text(f"SELECT {', '.join(COLUMNS)} FROM metric_visit_rows")))
    assert held == sorted(tuple(r) for r in conn.execute(text(recount_select())))


def test_the_triggers_are_there_at_head(practice: PracticeFixture) -> None:
    assert set(TRIGGERS) <= trigger_names(practice.admin.store)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_triggers_keep_each_sessions_next_ones(practice: PracticeFixture, ops: list[tuple[Any, ...]]) -> None:
    store = practice.admin.store
    providers = [practice.users["clinician"], practice.users["other_clinician"]]
    a = Appointment.__table__
    assert isinstance(a, Table)

    def more(conn: Any, op: str, pick: str, args: list[Any]) -> bool:
        if op == "provider":
            conn.execute(update(a).where(a.c.id == pick).values(provider_id=providers[args[1]]))
        elif op == "telehealth":
            conn.execute(update(a).where(a.c.id == pick).values(telehealth=args[1]))
        else:
            return False
        return True

    run_appointment_ops(store, ops, partial(type_and_clients, count=3),
                        lambda f, type_id, clients: _row(f, providers, type_id, clients), BASE,
                        more)
    with store.engine.connect() as conn:
        _tables_agree(conn)


def test_a_row_says_what_follows_its_session(practice: PracticeFixture) -> None:
    """The columns mean what the rebook count reads them as, on a hand-made history."""
    store = practice.admin.store
    providers = [practice.users["clinician"], practice.users["other_clinician"]]
    with store.engine.begin() as conn:
        type_id, clients = type_and_clients(conn, 3)
        first, tie_low, tie_high, no_show = new_id(), "0" * 35 + "1", "0" * 35 + "2", new_id()
        conn.execute(insert(Appointment), [
            {"id": first, **_row({"client": 0, "status": "completed", "hours": 0, "provider": 0},
                                 providers, type_id, clients)},
            {"id": no_show, **_row({"client": 0, "status": "no_show", "hours": 24, "provider": 1},
                                   providers, type_id, clients)},
            {"id": tie_low, **_row({"client": 0, "status": "completed", "hours": 48, "provider": 1},
                                   providers, type_id, clients)},
            {"id": tie_high, **_row({"client": 0, "status": "checked_in", "hours": 48, "provider": 0},
                                    providers, type_id, clients)},
        ])
        rows = {row.appointment_id: row for row in conn.execute(select(metric_visit_rows))}
        jd: dict[str, float] = dict(conn.execute(text("SELECT id, julianday(start_at) FROM appointments")).all())
    assert set(rows) == {first, tie_low, tie_high}
    assert (rows[first].next_kept_jd, rows[first].next_kept_provider) == (jd[tie_low], min(providers))
    assert (rows[first].next_booked_jd, rows[first].next_booked_provider) == (jd[no_show], providers[1])
    assert [rows[k].tie_after for k in (first, tie_low, tie_high)] == [False, True, False]
    assert rows[tie_high].next_kept_jd is None and rows[tie_high].next_booked_jd is None
    assert rows[first].start_at == BASE and rows[first].start_jd == jd[first]


def test_a_restored_backup_keeps_the_rows(practice: PracticeFixture, tmp_path: Path) -> None:
    store = practice.admin.store
    providers = [practice.users["clinician"], practice.users["other_clinician"]]
    with store.engine.begin() as conn:
        type_id, clients = type_and_clients(conn, 3)
        conn.execute(insert(Appointment), [
            {"id": new_id(), **_row({"client": k % 3, "status": status, "hours": 24 * k, "provider": k % 2},
                                    providers, type_id, clients)}
            for k, status in enumerate(STATUSES * 2)])
    with restored(practice, tmp_path) as session, session.store.engine.begin() as conn:
        assert conn.scalar(select(func.count()).select_from(metric_visit_rows)) == 2 * 2  # completed, checked in
        _tables_agree(conn)
        conn.execute(update(Appointment).where(Appointment.status == "no_show").values(status="completed"))
        _tables_agree(conn)
        assert conn.scalar(select(func.count()).select_from(metric_visit_rows)) == 3 * 2

