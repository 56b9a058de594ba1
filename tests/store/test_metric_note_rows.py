"""metric_note_rows stays equal to a fresh reading of the notes and their sessions, whatever writes them.

Random sequences (hypothesis) of notes written for sessions or without one, signed, submitted for
co-signature, marked as needing one or not, turned into addenda, moved to another session (or none)
or another day, soft deleted and undone, hard deleted, and of their sessions changing status, time,
clinician or client, soft deleted and dropped by sync (which takes their notes with them), with rows
written by sync's apply too, run against a real encrypted store; after each sequence the triggers'
table must hold exactly what :func:`recount_select` works out, sibling counts included. A restored
backup holds the rows once, with its triggers working.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Table, delete, insert, select, text, update

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.metric_note_rows import TRIGGERS, metric_note_rows, recount_select
from mentalspace_desktop.store.models import Note
from mentalspace_desktop.store.outbox import APPLYING_REMOTE
from mentalspace_desktop.store.scheduling_models import Appointment
from mentalspace_desktop.sync import apply
from tests.factories import PracticeFixture
from tests.store.derived_support import change_appointment, restored, trigger_names, type_and_clients

BASE = datetime(2026, 10, 30, 13, 0, tzinfo=UTC)
NOTE_STATUSES = ["draft", "signed", "in_review", "returned"]
SESSION_STATUSES = ["completed", "checked_in", "no_show", "cancelled", "scheduled"]

note_fields = st.fixed_dictionaries({
    "session": st.integers(0, 99), "author": st.integers(0, 2), "status": st.sampled_from(NOTE_STATUSES),
    "signed_hours": st.sampled_from([None, 1, 30]), "submitted": st.booleans(), "day": st.integers(0, 3),
    "note_type": st.sampled_from(["progress", "crisis"]), "alone": st.booleans(),  # alone: no session
    "cosign": st.booleans(),
})
operations = st.lists(st.one_of(
    st.tuples(st.just("write"), note_fields),
    st.tuples(st.just("sign"), st.integers(0, 99), st.sampled_from([None, 2, 50])),
    st.tuples(st.just("cosign"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("addendum"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("move_note"), st.integers(0, 99), st.integers(0, 99)),
    st.tuples(st.just("redate"), st.integers(0, 99), st.integers(0, 3), st.integers(0, 2)),
    st.tuples(st.just("soft_delete_note"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("delete_note"), st.integers(0, 99)),
    st.tuples(st.just("session_status"), st.integers(0, 99), st.sampled_from(SESSION_STATUSES)),
    st.tuples(st.just("session_move"), st.integers(0, 99), st.integers(-30, 30)),
    st.tuples(st.just("session_provider"), st.integers(0, 99), st.integers(0, 2)),
    st.tuples(st.just("session_client"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("session_soft_delete"), st.integers(0, 99), st.booleans()),
    st.tuples(st.just("sync_note"), note_fields),
    st.tuples(st.just("sync_session_drop"), st.integers(0, 99)),
), max_size=14)


def _setup(conn: Any, providers: list[str], sessions: int = 4) -> tuple[str, list[str]]:
    """A client and a few sessions to write notes for (made on the first call, found after)."""
    type_id, (client,) = type_and_clients(conn, 1)
    if conn.scalar(select(Appointment.id).limit(1)) is None:
        conn.execute(insert(Appointment), [
            {"id": new_id(), "client_id": client, "provider_id": providers[k % 3], "type_id": type_id,
             "status": "completed", "start_at": BASE + timedelta(hours=20 * k),
             "end_at": BASE + timedelta(hours=20 * k, minutes=50),
             "start_local": (BASE + timedelta(hours=20 * k - 4)).replace(tzinfo=None),
             "time_zone": "America/New_York", "deleted": False} for k in range(sessions)])
    return client, list(conn.scalars(select(Appointment.id).order_by(Appointment.id)))


def _note(f: dict[str, Any], providers: list[str], client: str, sessions: list[str]) -> dict[str, Any]:
    signed = None if f["signed_hours"] is None else BASE + timedelta(hours=f["signed_hours"], microseconds=1500)
    session = None if f.get("alone") else sessions[f["session"] % len(sessions)]
    return {"client_id": client, "author_id": providers[f["author"]], "appointment_id": session,
            "note_type": f["note_type"], "service_date": date(2026, 10, 30) + timedelta(days=f["day"]),
            "status": f["status"], "signed_at": signed, "submitted_at": signed if f["submitted"] else None,
            "deleted": False, "requires_cosign": f.get("cosign", False)}


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the hub sends it: instants and dates as ISO text."""
    return {k: v.isoformat() if isinstance(v, (datetime, date)) else v for k, v in row.items()}


def _tables_agree(conn: Any) -> None:
    def keyed(rows: Any) -> dict[str, tuple[Any, ...]]:  # by note; dates as text on both sides
        return {r[2]: (str(r[0]), str(r[1]), *r[3:]) for r in rows}

    held = keyed(conn.execute(select(metric_note_rows)))
    assert held == keyed(conn.execute(text(recount_select())))


def test_the_triggers_are_there_at_head(practice: PracticeFixture) -> None:
    assert set(TRIGGERS) <= trigger_names(practice.admin.store)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=operations)
def test_triggers_keep_the_rows_of_every_write(practice: PracticeFixture, ops: list[tuple[Any, ...]]) -> None:
    store = practice.admin.store
    providers = [practice.users[k] for k in ("clinician", "other_clinician", "supervisor")]
    n, a = Note.__table__, Appointment.__table__
    assert isinstance(n, Table) and isinstance(a, Table)
    for op, *args in ops:
        with store.engine.begin() as conn:
            client, sessions = _setup(conn, providers)
            notes = list(conn.scalars(select(n.c.id).order_by(n.c.id)))
        note = notes[args[0] % len(notes)] if notes and isinstance(args[0], int) else None
        session = sessions[args[0] % len(sessions)] if sessions and isinstance(args[0], int) else None
        if op in ("sync_note", "sync_session_drop"):
            with store.write() as s:
                s.info[APPLYING_REMOTE] = True
                if op == "sync_note" and sessions:
                    apply.apply_row(s, "notes", new_id(), _wire(_note(args[0], providers, client, sessions)), None,
                                    pending={})
                elif session is not None:
                    apply.drop_row(s, "appointments", session)  # its notes go with it
            continue
        with store.engine.begin() as conn:
            if op == "write" and sessions:
                conn.execute(insert(n), [{"id": new_id(), **_note(args[0], providers, client, sessions)}])
            elif op == "sign" and note is not None:
                at = None if args[1] is None else BASE + timedelta(hours=args[1])
                conn.execute(update(n).where(n.c.id == note).values(signed_at=at, status="signed" if at else "draft"))
            elif op == "cosign" and note is not None:
                conn.execute(update(n).where(n.c.id == note).values(requires_cosign=args[1]))
            elif op == "addendum" and note is not None:
                conn.execute(update(n).where(n.c.id == note).values(addendum_to=notes[0] if args[1] else None))
            elif op == "move_note" and note is not None and sessions:
                conn.execute(update(n).where(n.c.id == note).values(  # 0: written without a session after all
                    appointment_id=sessions[args[1] % len(sessions)] if args[1] else None))
            elif op == "redate" and note is not None:
                conn.execute(update(n).where(n.c.id == note).values(
                    service_date=date(2026, 10, 30) + timedelta(days=args[1]), author_id=providers[args[2]]))
            elif op == "soft_delete_note" and note is not None:
                conn.execute(update(n).where(n.c.id == note).values(deleted=args[1]))
            elif op == "delete_note" and note is not None:
                conn.execute(update(n).where(n.c.addendum_to == note).values(addendum_to=None))
                conn.execute(delete(n).where(n.c.id == note))
            elif op == "session_status" and session is not None:
                change_appointment(conn, "status", session, args[1])
            elif op == "session_move" and session is not None:
                start = BASE + timedelta(hours=args[1])
                change_appointment(conn, "move", session, {"start_at": start, "end_at": start + timedelta(minutes=50)})
            elif op == "session_provider" and session is not None:
                conn.execute(update(a).where(a.c.id == session).values(provider_id=providers[args[1]]))
            elif op == "session_client" and session is not None:
                conn.execute(update(a).where(a.c.id == session).values(client_id=client if args[1] else None))
            elif op == "session_soft_delete" and session is not None:
                change_appointment(conn, "soft_delete", session, args[1])
    with store.engine.connect() as conn:
        _tables_agree(conn)


def test_a_restored_backup_holds_the_rows_once(practice: PracticeFixture, tmp_path: Path) -> None:
    """A backup copies the rows before it recreates the triggers: the restored store's rows are its
    notes' once, and its triggers still keep them."""
    store = practice.admin.store
    providers = [practice.users[k] for k in ("clinician", "other_clinician", "supervisor")]
    with store.engine.begin() as conn:
        client, sessions = _setup(conn, providers)
        conn.execute(insert(Note), [
            {"id": new_id(), **_note({"session": k, "author": k % 3, "status": "signed", "signed_hours": 1,
                                      "submitted": False, "day": 0, "note_type": "progress"},
                                     providers, client, sessions)} for k in range(6)])
    with restored(practice, tmp_path) as session, session.store.engine.begin() as conn:
        assert len(conn.execute(select(metric_note_rows)).all()) == 6
        assert sorted(conn.scalars(select(metric_note_rows.c.siblings))) == [1, 1, 2, 2, 2, 2]
        _tables_agree(conn)
        conn.execute(update(Appointment).values(status="no_show"))
        conn.execute(update(Note).values(deleted=True).where(Note.appointment_id == sessions[0]))
        _tables_agree(conn)
        assert len(conn.execute(select(metric_note_rows)).all()) == 4
