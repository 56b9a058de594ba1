"""Each kept session with a client, with that client's next kept session and next booking after it:
kept up by triggers, for the rebook rate.

The rebook rate takes each client's last kept session of the period and asks whether their next
booking falls within 30 days of it. Asked of ``appointments``, that is the subjects' bookings over
the period and the month after, grouped by client twice (the last visit, then the next booking
after it): sorts of some ten thousand rows, the longest read of the dashboard. Here each kept
session already knows what comes next for its client, so the period's last visits are the rows of
the period whose next kept session falls after it, and whether each was rebooked is read from the
row: one range of this table's key (provider, start), summed per provider without a sort.

A row holds, for a live kept session (completed or checked in, not deleted, with a client):

- ``next_kept_jd`` / ``next_kept_provider``: the client's first live kept session starting later
  (any provider's; several at that instant: the first provider id);
- ``next_booked_jd`` / ``next_booked_provider``: the client's first live booking that holds time
  (scheduled, confirmed, checked in, completed, no-show) starting later, chosen the same way;
- ``tie_after``: another live kept session of the client starts at the same instant with a later
  id (which the metric would take as the last visit);
- ``telehealth``: the session's own flag, so that the period's video clients (telehealth consent
  compliance) are the same range read, not a look-up of every appointment of the period.

Whatever "next" is any provider's, so the engine counts from a row only what the row settles for the
clinicians measured; a client whose rows leave it open (a tie, or a next session with someone not
measured) is counted the long way (``services/metric_counts.py``).

It is derived, local and not synced, like ``client_first_visits``: SQLite triggers on
``appointments`` keep it right whoever writes (the services, sync's apply, a restored backup). A
write to a session at instant t of client C can change only the rows of C at t and those at C's last
kept instant before t (no row earlier can have its next at or after t): the triggers work those out
again, through this table's (client, start) index and the appointments' (client, start) index.
Migration 0026 creates and fills it. PostgreSQL (a hub's) does not get it: the engine reads the
appointments there. A later migration that rebuilds ``appointments`` must call :func:`drop` then
:func:`create` again (the tests check the triggers are there at head).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, Float, Index, MetaData, String, Table

from mentalspace_desktop.store import derived
from mentalspace_desktop.store.types import UTCDateTime

local_metadata = MetaData()  # not a synced table: not in backups' or sync's table lists, not on the hub

KEPT = ("completed", "checked_in")
HOLDS_TIME = ("scheduled", "confirmed", "checked_in", "completed", "no_show")

metric_visit_rows = Table(
    "metric_visit_rows", local_metadata,
    # keyed as the appointments' (provider, start) index: a period's sessions of some clinicians are
    # one range per clinician, already in the order of a sum per clinician. Instants read by the
    # engine are Julian day numbers (``julianday`` of the stored text: float comparisons, and the
    # engine's arithmetic on the same numbers); ``start_at`` is the stored text, for the triggers.
    Column("provider_id", String(36), primary_key=True),
    Column("start_jd", Float, primary_key=True),
    Column("appointment_id", String(36), primary_key=True),
    Column("start_at", UTCDateTime, nullable=False),  # stored as the appointments' start_at is
    Column("client_id", String(36), nullable=False),
    Column("next_kept_jd", Float),
    Column("next_kept_provider", String(36)),
    Column("next_booked_jd", Float),
    Column("next_booked_provider", String(36)),
    Column("tie_after", Boolean, nullable=False),
    Column("telehealth", Boolean, nullable=False),  # the session's own: the period's video clients
    Index("ix_metric_visit_rows_client", "client_id", "start_at"),
    sqlite_with_rowid=False,
)

WATCHED = ("client_id", "provider_id", "status", "start_at", "deleted", "telehealth")
"""The appointments' columns a row depends on: an update of any other does not fire the triggers."""


def _statuses(statuses: tuple[str, ...]) -> str:
    return ", ".join(repr(s) for s in statuses)


LIVE_KEPT = f"{{a}}.client_id IS NOT NULL AND {{a}}.status IN ({_statuses(KEPT)}) AND NOT {{a}}.deleted"
"""The sessions that have a row."""


def _next(client: str, after: str, statuses: tuple[str, ...]) -> str:
    """The first live session of ``client`` with one of ``statuses`` starting after ``after``: its
    start, and the first provider id among those starting then. ``min(start_at)`` walks the
    appointments' (client, start) index from ``after`` and stops at the first match, not at the end
    of the client's history."""
    live = f"status IN ({_statuses(statuses)}) AND NOT deleted"
    at = f"(SELECT min(start_at) FROM appointments WHERE client_id = {client} AND start_at > {after} AND {live})"
    return (f"julianday({at}), (SELECT min(provider_id) FROM appointments WHERE client_id = {client} "
            f"AND start_at = {at} AND {live})")


def _tie(client: str, start: str, appointment: str) -> str:
    return (f"EXISTS (SELECT 1 FROM appointments WHERE client_id = {client} AND start_at = {start} "
            f"AND id > {appointment} AND {LIVE_KEPT.format(a='appointments')})")


def _facts(client: str, start: str, appointment: str) -> str:
    """A row's columns after its key and client: what follows the session, worked out from
    ``appointments``."""
    return f"{_next(client, start, KEPT)}, {_next(client, start, HOLDS_TIME)}, {_tie(client, start, appointment)}"


def _add(a: str) -> str:
    """Insert the row of session ``a`` (NEW) when it has one; its facts are worked out after."""
    return (f"INSERT INTO metric_visit_rows (provider_id, start_jd, appointment_id, start_at, client_id, tie_after, "
            f"telehealth) SELECT {a}.provider_id, julianday({a}.start_at), {a}.id, {a}.start_at, {a}.client_id, 0, "
            f"coalesce({a}.telehealth, 0) "
            f"WHERE {LIVE_KEPT.format(a=a)};")


def _remove(a: str) -> str:
    return (f"DELETE FROM metric_visit_rows WHERE provider_id = {a}.provider_id "
            f"AND start_jd = julianday({a}.start_at) AND appointment_id = {a}.id;")


def _refresh(a: str) -> str:
    """Work out again the rows a change to session ``a`` (NEW or OLD) can touch: its client's at its
    instant and at their last kept instant before it."""
    r = "metric_visit_rows"
    before = (f"(SELECT max(start_at) FROM metric_visit_rows WHERE client_id = {a}.client_id "
              f"AND start_at < {a}.start_at)")
    return (f"UPDATE {r} SET (next_kept_jd, next_kept_provider, next_booked_jd, next_booked_provider, tie_after) "
            f"= (SELECT {_facts(f'{r}.client_id', f'{r}.start_at', f'{r}.appointment_id')}) "
            f"WHERE client_id = {a}.client_id AND start_at IN ({a}.start_at, {before});")


TRIGGERS = {
    "metric_visit_rows_insert": f"AFTER INSERT ON appointments BEGIN {_add('NEW')} {_refresh('NEW')} END",
    "metric_visit_rows_delete": f"AFTER DELETE ON appointments BEGIN {_remove('OLD')} {_refresh('OLD')} END",
    "metric_visit_rows_update": (f"AFTER UPDATE OF {', '.join(WATCHED)} ON appointments BEGIN {_remove('OLD')} "
                                 f"{_add('NEW')} {_refresh('OLD')} {_refresh('NEW')} END"),
}


def recount_select() -> str:
    """The table's rows worked out afresh from ``appointments`` (what the fill inserts)."""
    return (f"SELECT a.provider_id, julianday(a.start_at), a.id, a.start_at, a.client_id, "
            f"{_facts('a.client_id', 'a.start_at', 'a.id')}, coalesce(a.telehealth, 0) "
            f"FROM appointments a WHERE {LIVE_KEPT.format(a='a')}")


COLUMNS = ("provider_id", "start_jd", "appointment_id", "start_at", "client_id", "next_kept_jd",
           "next_kept_provider", "next_booked_jd", "next_booked_provider", "tie_after", "telehealth")


def create(conn: Connection) -> None:
    """Create the table and its triggers and fill it from the appointments there (SQLite only)."""
    derived.create(conn, metric_visit_rows, f"({', '.join(COLUMNS)}) {recount_select()}", TRIGGERS)


def drop(conn: Connection) -> None:
    derived.drop(conn, metric_visit_rows, TRIGGERS)
