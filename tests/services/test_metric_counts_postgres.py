"""The database counts of services/metric_counts.py on PostgreSQL: the same figures as on SQLite.

The counters carry a PostgreSQL spelling of every function SQLite spells its own way (Julian days,
seconds between instants, whole minutes, sortable instants). A generated practice (the one of
``test_metric_counts.py``) is written to a real encrypted store, copied row for row into a fresh
PostgreSQL schema migrated to head, and every metric counted there must equal what its metric
function gives over the SQLite store's facts.

Needs MENTALSPACE_TEST_PG_URL (``source /tmp/pgenv`` here; ``.ci/run`` sets it); skipped without it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, create_engine, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from mentalspace_desktop.services import metric_counts, metrics
from mentalspace_desktop.services.metric_facts import fetch_facts
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.models import Base
from tests.factories import PracticeFixture
from tests.services.test_metric_counts import ET, PERIODS, TODAY, _generate, assert_counts_as_functions

ENV = "MENTALSPACE_TEST_PG_URL"


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    """A fresh schema of its own on the test server, migrated to head; dropped afterwards."""
    url = os.environ.get(ENV)
    if not url:
        pytest.skip(f"{ENV} is not set")
    pytest.importorskip("psycopg", reason="psycopg (the hub extra) is not installed")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    schema = f"ms_counts_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(f"PostgreSQL at {ENV} is not reachable: {str(exc).splitlines()[0]}")
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        migrate.upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _copy(source: Engine, target: Engine) -> None:
    """Every row of every table, parents first, in place of the rows the migrations seeded; a table's
    rows that point at rows of the same table (addenda) go in after the rows they point at."""
    with source.connect() as src, target.begin() as dst:
        for table in reversed(Base.metadata.sorted_tables):
            dst.execute(table.delete())
        for table in Base.metadata.sorted_tables:
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
            if self_refs:
                rows.sort(key=lambda r: any(r[c] is not None for c in self_refs))
            if rows:
                dst.execute(insert(table), rows)


@pytest.mark.parametrize("seed", [1, 2])
def test_every_metric_counts_on_postgresql_as_its_function_does(practice: PracticeFixture, pg_engine: Engine,
                                                                 seed: int) -> None:
    _generate(practice, seed)
    _copy(practice.admin.store.engine, pg_engine)
    wanted = [m for m in metrics.definitions() if m in metric_counts.COUNTERS]
    everyone = frozenset(practice.users[k] for k in ("clinician", "other_clinician", "supervisor"))
    licenses = frozenset({"LPC-Associate"})
    with practice.admin.store.read() as s, Session(pg_engine) as pg:
        for period in PERIODS:
            facts = fetch_facts(s, period=period, today=TODAY, subjects=everyone, zone=ET,
                                supervised_licenses=licenses)
            counted = metric_counts.count(pg, period=period, today=TODAY, subjects=everyone, zone=ET,
                                          supervised_licenses=licenses, metric_ids=wanted)
            assert_counts_as_functions(facts, counted, wanted)
    assert any(v.numerator for v in counted)  # the generated practice is not empty
