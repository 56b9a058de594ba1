"""Migration 0006 (notes and note bodies) on an encrypted desktop store and on PostgreSQL (the hub).

Each test upgrades from 0005 exactly to 0006, checks the tables are what the models say, and goes
back down, so it keeps testing this step whatever revisions come after it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import create_store
from mentalspace_desktop.store.schema import metadata
from tests.store.test_migrations_postgres import pg_schema  # noqa: F401  (fixture)

NOTE_TABLES = ("notes", "note_bodies")


# Columns later revisions add to notes (0012: charting; 0015: the appointment key); this test checks 0006 alone.
LATER_NOTE_COLUMNS = frozenset({"appointment_id", "template_id", "requires_cosign", "submitted_at", "submitted_by",
                                "content_hash", "prev_hash", "chain_hash"})
LATER_NOTE_INDEXES = frozenset({"ix_notes_author_service_date", "ix_notes_unsigned",  # 0013: metrics
                                "ix_notes_appointment_first"})  # 0021: a session's first note


def _only_notes(obj: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
    if kind in ("column", "index", "foreign_key_constraint") and name and any(c in name for c in LATER_NOTE_COLUMNS):
        return False
    if kind == "index" and name in LATER_NOTE_INDEXES:
        return False
    table = obj if kind == "table" else getattr(obj, "table", None)
    return table is not None and table.name in NOTE_TABLES


def differences(engine: Engine) -> list[Any]:
    """What the database's notes tables lack or have beyond the models (nothing, when the migration is right)."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _only_notes})
        return list(compare_metadata(context, metadata))


def downgrade(engine: Engine, target: str) -> None:
    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), target)


def seed_practice(engine: Engine) -> None:
    """A user and a client as 0005 left them, for the new tables' foreign keys to point at."""
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO users (id, username, full_name, role, password_hash, active, "
            "must_change_password, updated_at, deleted) VALUES ('u1', 'clin', 'Casey Clinician', 'clinician', "
            "'x', true, false, CURRENT_TIMESTAMP, false)"))
        for client in ("c1", "c2"):
            conn.execute(text(
                "INSERT INTO clients (id, chart_number, first_name, last_name, dob, "
                "preferred_language, status, uses_telehealth, last_key, first_key, updated_at, deleted, "
                "primary_clinician_id) VALUES (:id, :id, 'Sam', 'Rivera', '1988-06-01', 'English', 'active', "
                "false, 'rivera', 'sam', CURRENT_TIMESTAMP, false, 'u1')"), {"id": client})


def write_note(engine: Engine, note_id: str, body_client: str) -> None:
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO notes (id, client_id, author_id, note_type, service_date, status, updated_at, deleted) "
            "VALUES (:id, 'c1', 'u1', 'progress', :day, 'draft', CURRENT_TIMESTAMP, false)"),
            {"id": note_id, "day": date(2025, 3, 14)})
        conn.execute(text(
            "INSERT INTO note_bodies (id, note_id, client_id, body, updated_at, deleted) "
            "VALUES (:id, :note, :client, 'words', CURRENT_TIMESTAMP, false)"),
            {"id": "b-" + note_id, "note": note_id, "client": body_client})


def check_step(engine: Engine, tables: Callable[[], set[str]]) -> None:
    """0005 -> 0006 -> 0005 -> 0006 on a database with a user and two clients (0005 already applied)."""
    assert not set(NOTE_TABLES) & tables()
    migrate.upgrade(engine, "0006")
    assert migrate.current_revision(engine) == "0006"
    assert set(NOTE_TABLES) <= tables()
    assert differences(engine) == []
    columns = {c["name"] for c in inspect(engine).get_columns("note_bodies")}
    assert {"id", "server_seq", "updated_at", "updated_by", "device_id", "deleted", "note_id", "client_id",
            "body", "signed_at"} <= columns

    write_note(engine, "n1", "c1")
    with pytest.raises(IntegrityError):
        write_note(engine, "n2", "c2")  # a body filed under another client than its note's
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM note_bodies")).scalar_one() == 1

    downgrade(engine, "0005")
    assert not set(NOTE_TABLES) & tables()
    with engine.connect() as conn:  # the older tables kept their rows
        assert conn.execute(text("SELECT count(*) FROM clients")).scalar_one() == 2
    migrate.upgrade(engine, "0006")
    assert set(NOTE_TABLES) <= tables()


def test_0006_on_an_encrypted_store(tmp_path: Path) -> None:
    store, _slots = create_store(StoreFiles(tmp_path / "store"), revision="0005")
    try:
        seed_practice(store.engine)
        check_step(store.engine, lambda: set(inspect(store.engine).get_table_names()))
        migrate.upgrade(store.engine)  # and on to whatever comes next
        assert differences(store.engine) == []
    finally:
        store.close()


def test_0006_on_postgresql(pg_schema: tuple[Engine, str]) -> None:  # noqa: F811
    engine, schema = pg_schema
    migrate.upgrade(engine, "0005")
    seed_practice(engine)
    check_step(engine, lambda: set(inspect(engine).get_table_names(schema=schema)))
    migrate.upgrade(engine)
    assert differences(engine) == []
