"""Local tables derived from synced ones and kept right by SQLite triggers (``metric_day_totals``,
``metric_note_rows``, ``client_first_visits``, ``metric_visit_rows``): made, filled and dropped the
same way.

Each is created with its triggers and filled in the same transaction, so no write falls between
the fill and the first trigger; dropped triggers first, so that none fires into a missing table.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Table


def create(conn: Connection, table: Table, fill: str, triggers: Mapping[str, str]) -> None:
    """Create ``table``, fill it with ``INSERT INTO table {fill}`` and create ``triggers`` (name → body)."""
    table.create(conn)
    conn.exec_driver_sql(f"INSERT INTO {table.name} {fill}")
    for name, body in triggers.items():
        conn.exec_driver_sql(f"CREATE TRIGGER {name} {body}")


def drop(conn: Connection, table: Table, triggers: Mapping[str, str]) -> None:
    for name in triggers:
        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
    table.drop(conn, checkfirst=True)
