"""The same Alembic migrations on PostgreSQL (the hub's database): upgrade to head, then back to base.

Needs MENTALSPACE_TEST_PG_URL, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres (``.ci/run``
starts a server and sets it). Each run works in a fresh schema of its own and drops it afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.exc import OperationalError

from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.models import Base

ENV = "MENTALSPACE_TEST_PG_URL"


def _skip(reason: str) -> None:
    print(f"skipping PostgreSQL migration test: {reason}")  # shown with -s; -ra shows the skip reason
    pytest.skip(reason)


@pytest.fixture
def pg_schema() -> Iterator[tuple[Engine, str]]:
    url = os.environ.get(ENV)
    if not url:
        _skip(f"{ENV} is not set")
    pytest.importorskip("psycopg", reason="psycopg (the hub extra) is not installed")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    schema = f"ms_migrate_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        _skip(f"PostgreSQL at {ENV} is not reachable: {str(exc).splitlines()[0]}")
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine, schema
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_migrations_upgrade_and_downgrade_on_postgresql(pg_schema: tuple[Engine, str]) -> None:
    engine, schema = pg_schema
    migrate.upgrade(engine)
    assert migrate.current_revision(engine) == migrate.head_revision()
    tables = set(inspect(engine).get_table_names(schema=schema))
    assert set(Base.metadata.tables) <= tables
    assert "alembic_version" in tables
    columns = {c["name"]: c for c in inspect(engine).get_columns("clients", schema=schema)}
    assert {"id", "server_seq", "updated_at", "updated_by", "device_id", "deleted", "last_key"} <= set(
        columns
    )
    assert "TIMESTAMP" in str(columns["updated_at"]["type"]).upper()
    indexes = {i["name"] for i in inspect(engine).get_indexes("clients", schema=schema)}
    assert {"ix_clients_last_key", "ix_clients_phone_rev_key", "ix_clients_dob"} <= indexes

    with engine.begin() as conn:
        command.downgrade(migrate._config(conn), "base")
    left = set(inspect(engine).get_table_names(schema=schema)) - {"alembic_version"}
    assert left == set()
    assert migrate.current_revision(engine) is None

    migrate.upgrade(engine)  # and up again from base
    assert migrate.current_revision(engine) == migrate.head_revision()
