"""metric_day_totals stays equal to a fresh count of the appointments, whatever writes them.

Random sequences (hypothesis) of bookings, status changes, a session moved to another clinician or
another time (across the end of daylight saving time and midnight), soft deletes and their undoing,
hard deletes, and rows written by sync's apply (new ones in bulk, changed ones one by one, one
dropped out of scope) run against a real encrypted store; after each sequence the triggers' table
must hold exactly what :func:`recount_select` works out from the appointments (rows that fell to
zero aside). A restored backup holds them once, with its triggers working.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, func, insert, select, text, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.metric_day_totals import COUNTS, TRIGGERS, metric_day_totals, recount_select
from mentalspace_desktop.store.outbox import APPLYING_REMOTE
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.sync import apply
from tests.factories import PracticeFixture
from tests.store.derived_support import change_appointment, restored, trigger_names, type_and_clients

ET = ZoneInfo("America/New_York")
STATUSES = ["completed", "checked_in", "no_show", "cancelled", "rescheduled", "scheduled", "confirmed"]


def _times(day: int, hour: float, minutes: int) -> dict[str, Any]:
    start = (datetime.combine(date(2026, 10, 28) + timedelta(days=day), time(), tzinfo=ET)
             + timedelta(hours=hour)).astimezone(UTC)
    return {"start_at": start, "end_at": start + timedelta(minutes=minutes),
            "start_local": start.astimezone(ET).replace(tzinfo=None), "time_zone": "America/New_York"}


times = st.builds(_times, st.integers(0, 9), st.sampled_from([0, 1.5, 8.75, 9, 13, 16.5, 23.5]),
                  st.sampled_from([45, 50, 90]))
fields = st.fixed_dictionaries({
    "status": st.sampled_from(STATUSES), "late_cancel": st.booleans(), "with_client": st.booleans(),
    "confirmation": st.sampled_from(["confirmed", "unconfirmed"]), "booked_days": st.sampled_from([None, 0, 3, -1]),
    "provider": st.integers(0, 2), "times": times,
})
operations = st.lists(st.one_of(
    st.tuples(st.just("book"), fields),
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(STATUSES)),
    st.tuples(st.just("provider"), st.integers(0, 99), st.integers(0, 2)),
    st.tuples(st.just("move"), st.integers(0, 99), times),
    st.tuples(st.just("soft_delete"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 99)),
    st.tuples(st.just("sync_new"), st.lists(fields, min_size=1, max_size=3)),
    st.tuples(st.just("sync_change"), st.integers(0, 99), fields),
    st.tuples(st.just("sync_drop"), st.integers(0, 99)),
), max_size=14)


def _row(f: dict[str, Any], providers: list[str], client: str, type_id: str) -> dict[str, Any]:
    t = f["times"]
    booked = None if f["booked_days"] is None else t["start_at"] - timedelta(days=f["booked_days"], minutes=7)
    return {"client_id": client if f["with_client"] else None, "provider_id": providers[f["provider"]],
            "type_id": type_id, "status": f["status"], "late_cancel": f["late_cancel"],
            "confirmation": f["confirmation"], "booked_at": booked, "deleted": False, **t}


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the hub sends it: instants and wall clocks as ISO text."""
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}


def _type_and_client(conn: Any) -> tuple[str, str]:
    """An appointment type and a client to book with (made on the first call, found after)."""
    type_id, clients = type_and_clients(conn, 1)
    return type_id, clients[0]


def _tables_agree(conn: Any) -> None:
    def by_key(rows: Any) -> dict[tuple[str, ...], tuple[int, ...]]:  # days as text on both sides
        return {(str(r[0]), r[1], r[2]): tuple(r[3:]) for r in rows if any(r[3:])}

    assert by_key(conn.execute(select(metric_day_totals))) == by_key(conn.execute(text(recount_select())))


def test_the_fill_counts_what_is_there(practice: PracticeFixture) -> None:
    """The migration's fill and the triggers give one table (the store was migrated empty)."""
    assert set(TRIGGERS) <= trigger_names(practice.admin.store)
    assert [c.name for c in metric_day_totals.columns][3:] == list(COUNTS)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_triggers_keep_the_totals_of_every_write(practice: PracticeFixture, ops: list[tuple[Any, ...]]) -> None:
    store = practice.admin.store
    providers = [practice.users[k] for k in ("clinician", "other_clinician", "supervisor")]
    with store.engine.begin() as conn:
        type_id, client = _type_and_client(conn)
    for op, *args in ops:
        with store.engine.begin() as conn:
            ids = list(conn.scalars(select(Appointment.id).order_by(Appointment.id)))
        pick = ids[args[0] % len(ids)] if ids and isinstance(args[0], int) else None
        if op in ("sync_new", "sync_change", "sync_drop"):
            with store.write() as s:
                s.info[APPLYING_REMOTE] = True
                if op == "sync_new":
                    new_rows: dict[type[Any], list[dict[str, Any]]] = {}
                    for f in args[0]:
                        apply.apply_row(s, "appointments", new_id(), _wire(_row(f, providers, client, type_id)),
                                        None, pending={}, new_rows=new_rows)
                    apply.insert_new(s, new_rows)
                elif pick is not None and op == "sync_change":
                    apply.apply_row(s, "appointments", pick, _wire(_row(args[1], providers, client, type_id)), None,
                                    pending={})
                elif pick is not None:
                    apply.drop_row(s, "appointments", pick)
        else:
            with store.engine.begin() as conn:
                a = Appointment.__table__
                assert isinstance(a, Table)
                if op == "book":
                    conn.execute(insert(a), [{"id": new_id(), **_row(args[0], providers, client, type_id)}])
                elif pick is None:
                    pass
                elif op == "provider":
                    conn.execute(update(a).where(a.c.id == pick).values(provider_id=providers[args[1]]))
                else:
                    assert change_appointment(conn, op, pick, args[1] if len(args) > 1 else None)
    with store.engine.connect() as conn:
        _tables_agree(conn)


def test_a_restored_backup_holds_the_totals_once(practice: PracticeFixture, tmp_path: Path) -> None:
    """A backup copies the rows before it recreates the triggers: the restored store's totals are its
    appointments' counted once, and its triggers still keep them."""
    store = practice.admin.store
    providers = [practice.users[k] for k in ("clinician", "other_clinician", "supervisor")]
    with store.engine.begin() as conn:
        type_id, client = _type_and_client(conn)
        conn.execute(insert(Appointment), [
            {"id": new_id(), **_row({"status": status, "late_cancel": False, "with_client": True,
                                     "confirmation": "confirmed", "booked_days": 3, "provider": k % 3,
                                     "times": _times(k % 9, 10, 50)}, providers, client, type_id)}
            for k, status in enumerate(STATUSES * 3)])
    with restored(practice, tmp_path) as session, session.store.engine.begin() as conn:
        assert conn.scalar(select(func.sum(metric_day_totals.c.booked))) == 18  # 21 less the rescheduled
        _tables_agree(conn)
        conn.execute(update(Appointment).values(status="no_show"))
        _tables_agree(conn)
