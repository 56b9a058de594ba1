"""Migration 0022 (the calendar read's indexes) on an encrypted desktop store and on PostgreSQL (the
hub): the two indexes are what the models declare, the planner uses them, and the step goes back down."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import create_store
from mentalspace_desktop.store.schema import metadata
from tests.store.test_migrations_postgres import pg_schema  # noqa: F401  (fixture)
from tests.store.test_notes_migration import downgrade

INDEXES = {"appointments": "ix_appointments_client_history", "busy_blocks": "ix_busy_blocks_end"}


def _ours(obj: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
    return kind == "index" and name in INDEXES.values()


def check_step(engine: Engine, schema: str | None = None) -> None:
    def present() -> set[str]:
        found = inspect(engine)
        return {i["name"] for table in INDEXES for i in found.get_indexes(table, schema=schema)} & set(INDEXES.values())

    migrate.upgrade(engine, "0021")
    assert present() == set()
    migrate.upgrade(engine, "0022")
    assert present() == set(INDEXES.values())
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _ours})
        assert list(compare_metadata(context, metadata)) == []
    downgrade(engine, "0021")
    assert present() == set()
    migrate.upgrade(engine, "0022")
    assert present() == set(INDEXES.values())


def test_0022_on_an_encrypted_store(tmp_path: Path) -> None:
    store, _slots = create_store(StoreFiles(tmp_path / "store"), revision="0021")
    try:
        check_step(store.engine)
        with store.engine.connect() as conn:  # the history count reads the index alone
            plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN SELECT client_id, status, late_cancel, count(*) FROM appointments "
                "WHERE client_id IN ('a', 'b') AND deleted = 0 AND start_at < '2030-01-01' "
                "AND status IN ('completed', 'no_show', 'cancelled') GROUP BY client_id, status, late_cancel"))
            assert "COVERING INDEX ix_appointments_client_history" in plan
    finally:
        store.close()


def test_0022_on_postgresql(pg_schema: tuple[Engine, str]) -> None:  # noqa: F811
    engine, schema = pg_schema
    check_step(engine, schema)
