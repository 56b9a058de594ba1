"""Per clinician and local day, the appointment counts the productivity metrics sum: kept up by triggers.

A month of the dashboard's appointment metrics (kept visit, no-show, cancellation and confirmation
rates, sessions per day, lead time, schedule fill, prime time) are sums over the month's
appointments, per provider. Summing a million-row store's month each time costs a grouped pass over
its ten thousand rows; this table holds those sums per (local day, provider, zone), so a month is
about three thousand rows read by key.

It is derived, local and not synced: SQLite triggers on ``appointments`` keep it right whoever
writes (the services, sync's apply, a row the hub sends back, a restored backup: ``sqlcipher_export``
copies the rows before it recreates the triggers), an update taking the old row's contribution away
and adding the new one's. Migration 0022 creates it and fills it from the rows already there
(about 6 s for a million appointments). A hub on PostgreSQL does not get it (the metric engine
counts there with its grouped query); a hub on SQLite has it, kept like a workstation's. A later
migration that rebuilds ``appointments`` (``batch_alter_table`` copies it to a new table) drops the
triggers with the old table and must call :func:`drop` then :func:`create` again:
``tests/store/test_metric_day_totals.py`` checks they are there at head.

Triggers know no time zones: the local day is the date of ``start_local``, the wall clock in the
appointment's own ``time_zone``, and the zone is part of the key, so the engine uses the table only
for a period whose rows all carry the practice's zone. Wall-clock prime time ends at ``start_local``
plus the session's length (a session across a daylight-saving change at 2 a.m. is far from 9 to 5).
Every expression below is the one ``services/metric_counts.py`` uses in its grouped query, so
the two agree to the minute and the millisecond (``tests/store/test_metric_day_totals.py``).
"""

from __future__ import annotations

from sqlalchemy import Column, Connection, Date, Integer, MetaData, String, Table

from mentalspace_desktop.store import derived

# Its own metadata: not a synced table, not in backups' or sync's table lists, not on the hub.
local_metadata = MetaData()

KEPT = ("completed", "checked_in")
HOLDS_TIME = ("scheduled", "confirmed", "checked_in", "completed", "no_show")


def _contributions(r: str) -> dict[str, str]:
    """What one appointment row (``NEW``, ``OLD`` or an alias) adds to its day's counts."""
    kept = f"{r}.status IN ({', '.join(repr(s) for s in KEPT)})"
    holds = f"{r}.status IN ({', '.join(repr(s) for s in HOLDS_TIME)})"
    client = f"{r}.client_id IS NOT NULL"
    late = f"({r}.status = 'cancelled' AND {r}.late_cancel)"
    on_books = f"({client} AND ({holds} OR {late}))"
    lead = (f"({r}.booked_at IS NOT NULL AND {r}.series_id IS NULL AND {r}.status != 'rescheduled' "
            f"AND {r}.booked_at <= {r}.start_at)")
    seconds = f"round((julianday({r}.end_at) - julianday({r}.start_at)) * 86400.0, 3)"
    starts, day = f"julianday({r}.start_local)", f"julianday(date({r}.start_local))"
    ends = f"({starts} + {seconds} / 86400.0)"
    prime = f"86400.0 * (min({ends}, {day} + 17.0 / 24) - max({starts}, {day} + 9.0 / 24))"

    def flag(condition: str) -> str:
        return f"(CASE WHEN {condition} THEN 1 ELSE 0 END)"

    return {
        "booked": flag(f"{r}.status != 'rescheduled'"),
        "cancelled": flag(f"{r}.status = 'cancelled'"),
        "due": flag(f"{client} AND ({kept} OR {r}.status = 'no_show' OR {late})"),  # counted up to "as of"
        "seen": flag(f"{client} AND {kept}"),
        "no_show": flag(f"{client} AND {r}.status = 'no_show'"),
        "on_books": flag(on_books),
        "confirmed": flag(f"{on_books} AND {r}.confirmation = 'confirmed'"),
        "kept": flag(kept),
        "lead_n": flag(lead),
        "lead_ms": (f"(CASE WHEN {lead} THEN CAST(round((julianday({r}.start_at) - julianday({r}.booked_at))"
                    f" * 86400000.0) AS INTEGER) ELSE 0 END)"),
        "held_minutes": f"(CASE WHEN {holds} THEN CAST(round({seconds}, 3) / 60 AS INTEGER) ELSE 0 END)",
        # Monday to Thursday ('%w': Sunday is 0), 9:00 to 17:00 of the session's own day.
        "prime_minutes": (f"(CASE WHEN {holds} AND CAST(strftime('%w', {r}.start_local) AS INTEGER) BETWEEN 1 AND 4"
                          f" THEN CAST(round(max({prime}, 0), 3) / 60 AS INTEGER) ELSE 0 END)"),
    }


COUNTS = tuple(_contributions("a"))
KEY = ("day", "provider_id", "time_zone")

metric_day_totals = Table(
    "metric_day_totals", local_metadata,
    Column("day", Date, primary_key=True),  # first: a period is one range of the key
    Column("provider_id", String(36), primary_key=True),
    Column("time_zone", String(64), primary_key=True),
    *(Column(name, Integer, nullable=False, default=0) for name in COUNTS),
    sqlite_with_rowid=False,
)

# Only these columns change what a row contributes: other updates (a reminder sent, a note linked)
# do not fire the trigger.
WATCHED = ("provider_id", "client_id", "start_local", "time_zone", "start_at", "end_at", "status", "late_cancel",
           "confirmation", "booked_at", "series_id", "deleted")


def _add(r: str, sign: str) -> str:
    c = _contributions(r)
    names = ", ".join(COUNTS)
    return (f"INSERT INTO metric_day_totals (day, provider_id, time_zone, {names}) "
            f"SELECT date({r}.start_local), {r}.provider_id, {r}.time_zone, "
            f"{', '.join(sign + c[k] for k in COUNTS)} WHERE NOT {r}.deleted "
            f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {', '.join(f'{k} = {k} + excluded.{k}' for k in COUNTS)};")


TRIGGERS = {
    "metric_day_totals_insert": f"AFTER INSERT ON appointments BEGIN {_add('NEW', '')} END",
    "metric_day_totals_delete": f"AFTER DELETE ON appointments BEGIN {_add('OLD', '-')} END",
    "metric_day_totals_update": (f"AFTER UPDATE OF {', '.join(WATCHED)} ON appointments "
                                 f"BEGIN {_add('OLD', '-')} {_add('NEW', '')} END"),
}


def recount_select() -> str:
    """The table's rows worked out afresh from ``appointments`` (what the fill inserts)."""
    c = _contributions("a")
    return (f"SELECT date(a.start_local) AS day, a.provider_id, a.time_zone, "
            f"{', '.join(f'sum({c[k]}) AS {k}' for k in COUNTS)} FROM appointments a WHERE NOT a.deleted "
            f"GROUP BY date(a.start_local), a.provider_id, a.time_zone")


def create(conn: Connection) -> None:
    """Create the table and its triggers and fill it from the appointments there (SQLite only)."""
    derived.create(conn, metric_day_totals, f"(day, provider_id, time_zone, {', '.join(COUNTS)}) {recount_select()}",
                   TRIGGERS)


def drop(conn: Connection) -> None:
    derived.drop(conn, metric_day_totals, TRIGGERS)
