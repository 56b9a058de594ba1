"""Migration 0020 (delivery reports kept until their message's id is recorded) on an encrypted desktop
store and on PostgreSQL (the hub): the table is what the model says, and the step goes back down."""

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

TABLE = "early_delivery_reports"


def _ours(obj: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
    table = obj if kind == "table" else getattr(obj, "table", None)
    return table is not None and table.name == TABLE


def check_step(engine: Engine, tables: Any) -> None:
    migrate.upgrade(engine, "0019")
    assert TABLE not in tables()
    migrate.upgrade(engine, "0020")
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _ours})
        assert list(compare_metadata(context, metadata)) == []
    downgrade(engine, "0019")
    assert TABLE not in tables()
    migrate.upgrade(engine, "0020")
    assert TABLE in tables()


def test_0020_on_an_encrypted_store(tmp_path: Path) -> None:
    store, _slots = create_store(StoreFiles(tmp_path / "store"), revision="0019")
    try:
        check_step(store.engine, lambda: set(inspect(store.engine).get_table_names()))
    finally:
        store.close()


def test_0020_on_postgresql(pg_schema: tuple[Engine, str]) -> None:  # noqa: F811
    engine, schema = pg_schema
    check_step(engine, lambda: set(inspect(engine).get_table_names(schema=schema)))
