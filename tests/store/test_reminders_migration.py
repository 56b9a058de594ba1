"""Migration 0018 (reminders) on an encrypted desktop store and on PostgreSQL (the hub): the tables are
what the models say, existing contact preferences lose texts and calls "allowed" without a consent
date (consent is not invented) and keep e-mail, and the step goes back down cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import create_store
from mentalspace_desktop.store.schema import metadata
from tests.store.test_migrations_postgres import pg_schema  # noqa: F401  (fixture)
from tests.store.test_notes_migration import downgrade, seed_practice

TABLES = {"reminder_rules", "reminder_templates", "reminder_messages", "inbound_messages"}


def _reminders(obj: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
    table = obj if kind == "table" else getattr(obj, "table", None)
    return table is not None and table.name in TABLES | {"contact_preferences"}


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _reminders})
        return list(compare_metadata(context, metadata))


def check_step(engine: Engine, tables: Any) -> None:
    migrate.upgrade(engine, "0013")
    seed_practice(engine)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO contact_preferences (id, client_id, channel, allow_sms, allow_email, allow_voice, "
            "reminder_hours, leave_voicemail, updated_at, deleted, server_seq) VALUES "
            "('p1', 'c1', 'sms', true, true, true, 24, false, CURRENT_TIMESTAMP, false, 7), "
            "('p2', 'c2', 'email', false, true, false, 24, false, CURRENT_TIMESTAMP, false, 8)"))
    migrate.upgrade(engine, "0018")
    assert tables() >= TABLES
    with engine.connect() as conn:
        rows = {r[0]: (bool(r[1]), bool(r[2]), bool(r[3]), r[4], r[5]) for r in conn.execute(text(
            "SELECT id, allow_sms, allow_email, allow_voice, sms_consent_at, server_seq FROM contact_preferences"))}
    assert rows == {"p1": (False, True, False, None, 7), "p2": (False, True, False, None, 8)}
    migrate.upgrade(engine, "head")  # later revisions may refine these tables (0020 indexes replies)
    assert differences(engine) == []
    downgrade(engine, "0013")
    assert not TABLES & tables()
    migrate.upgrade(engine, "0018")


def test_0018_on_an_encrypted_store(tmp_path: Path) -> None:
    store, _slots = create_store(StoreFiles(tmp_path / "store"), revision="0013")
    try:
        check_step(store.engine, lambda: set(inspect(store.engine).get_table_names()))
    finally:
        store.close()


def test_0018_on_postgresql(pg_schema: tuple[Engine, str]) -> None:  # noqa: F811
    engine, schema = pg_schema
    check_step(engine, lambda: set(inspect(engine).get_table_names(schema=schema)))
