"""Each client's first kept session: kept up by triggers, for the 90-day retention metric.

Retention follows the clients whose first kept session fell 90 to 180 days back. Asked of
``appointments``, that is "was anything kept before?" for every active client, thousands of index
look-ups for the few clients who are new; here the answer is a range of this table's index.

It is derived, local and not synced, like ``metric_day_totals``: SQLite triggers on
``appointments`` work a client's first kept session out again (through the (client, start) index)
whenever one of their sessions is booked, changes status, moves, is deleted or comes back. A client
whose sessions were all undone keeps a row with no first session. Migration 0025 creates and fills
it. PostgreSQL (a hub's) does not get it: the engine asks the appointments there. A later migration
that rebuilds ``appointments`` must call :func:`drop` then :func:`create` again (the tests check the
triggers are there at head).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Index, MetaData, String, Table

from mentalspace_desktop.store import derived
from mentalspace_desktop.store.types import UTCDateTime

local_metadata = MetaData()  # not a synced table: not in backups' or sync's table lists, not on the hub

KEPT = ("completed", "checked_in")

client_first_visits = Table(
    "client_first_visits", local_metadata,
    Column("client_id", String(36), primary_key=True),
    Column("first_kept_at", UTCDateTime),  # stored as the appointments' start_at is
    Index("ix_client_first_visits_at", "first_kept_at"),
    sqlite_with_rowid=False,
)

WATCHED = ("client_id", "status", "start_at", "deleted")
_KEPT = f"status IN ({', '.join(repr(s) for s in KEPT)})"


def _recount(client: str) -> str:
    return (f"INSERT INTO client_first_visits (client_id, first_kept_at) SELECT {client}, "
            f"(SELECT min(start_at) FROM appointments WHERE client_id = {client} AND {_KEPT} AND NOT deleted) "
            f"WHERE {client} IS NOT NULL "
            f"ON CONFLICT (client_id) DO UPDATE SET first_kept_at = excluded.first_kept_at;")


TRIGGERS = {
    "client_first_visits_insert": f"AFTER INSERT ON appointments BEGIN {_recount('NEW.client_id')} END",
    "client_first_visits_delete": f"AFTER DELETE ON appointments BEGIN {_recount('OLD.client_id')} END",
    "client_first_visits_update": (f"AFTER UPDATE OF {', '.join(WATCHED)} ON appointments "
                                   f"BEGIN {_recount('OLD.client_id')} {_recount('NEW.client_id')} END"),
}


def recount_select() -> str:
    """Each client's first kept session worked out afresh (what the fill inserts)."""
    return (f"SELECT client_id, min(start_at) FROM appointments WHERE client_id IS NOT NULL AND {_KEPT} "
            f"AND NOT deleted GROUP BY client_id")


def create(conn: Connection) -> None:
    """Create the table and its triggers and fill it from the appointments there (SQLite only)."""
    derived.create(conn, client_first_visits, f"(client_id, first_kept_at) {recount_select()}", TRIGGERS)


def drop(conn: Connection) -> None:
    derived.drop(conn, client_first_visits, TRIGGERS)
