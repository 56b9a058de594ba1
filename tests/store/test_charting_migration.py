"""Migration 0012 (charting) on an encrypted desktop store and on PostgreSQL (the hub): the tables are
what the models say, existing notes keep their rows, the default templates arrive with the same ids
everywhere, and the step goes back down cleanly (with the later steps above it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.chart_defaults import default_template_id
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.opening import create_store
from mentalspace_desktop.store.schema import metadata
from tests.store.test_migrations_postgres import pg_schema  # noqa: F401  (fixture)
from tests.store.test_notes_migration import downgrade, seed_practice, write_note

CHART_TABLES = {"note_templates", "note_versions", "note_comments", "diagnoses", "note_diagnoses",
                "treatment_plans", "plan_reviews", "safety_plans", "risk_flags", "attachments"}


def _charting(obj: Any, name: str | None, kind: str, _reflected: bool, _compare_to: Any) -> bool:
    table = obj if kind == "table" else getattr(obj, "table", None)
    return table is not None and table.name in CHART_TABLES | {"notes"}


def differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": _charting})
        return list(compare_metadata(context, metadata))


def check_step(engine: Engine, tables: Any) -> None:
    write_note(engine, "n1", "c1")
    migrate.upgrade(engine, "0012")
    assert tables() >= CHART_TABLES
    with engine.connect() as conn:
        assert conn.execute(text("SELECT requires_cosign FROM notes WHERE id = 'n1'")).scalar_one() in (0, False)
        ids = dict(conn.execute(text("SELECT note_type, id FROM note_templates")).all())
    assert len(ids) == 9 and ids["soap"] == default_template_id("soap")
    # The models describe the whole chain (later steps add indexes to these tables, e.g. 0013's).
    migrate.upgrade(engine)
    assert differences(engine) == []
    downgrade(engine, "0007")
    assert not CHART_TABLES & tables()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM notes")).scalar_one() == 1
    migrate.upgrade(engine, "0012")


def test_0012_on_an_encrypted_store(tmp_path: Path) -> None:
    store, _slots = create_store(StoreFiles(tmp_path / "store"), revision="0007")
    try:
        seed_practice(store.engine)
        check_step(store.engine, lambda: set(inspect(store.engine).get_table_names()))
    finally:
        store.close()


def test_0012_on_postgresql(pg_schema: tuple[Engine, str]) -> None:  # noqa: F811
    engine, schema = pg_schema
    migrate.upgrade(engine, "0007")
    seed_practice(engine)
    check_step(engine, lambda: set(inspect(engine).get_table_names(schema=schema)))
