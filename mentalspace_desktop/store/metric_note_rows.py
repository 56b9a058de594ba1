"""Each note, with its session's facts when it was written for one, as the documentation metrics read
them: kept up by triggers.

Same-day documentation, documentation time and the crisis rate read the period's notes with their
session (its start, end, provider and status) and ask, of each, whether it is its session's first.
Read from ``notes`` and ``appointments``, that is three index look-ups per note and four date texts
parsed into day numbers (``julianday``), most of the dashboard's time on a large store. This table
holds one row per live note, keyed like the notes' (author, service date) index,
with the session's columns beside it and every instant already a Julian day number: the same read
is one range of one table, and the arithmetic is the same on the same numbers, so the sums are the
same to the last digit (``tests/store/test_metric_note_rows.py`` holds the table to a fresh
recount; ``tests/services/test_metric_counts.py`` holds the counts to the metric functions).
A note written without a session has a row too (its session's columns NULL, counted alone): the
unsigned-note backlog counts the period's drafts from the same range, without a look-up per note,
and the notes awaiting co-signature are found there too (since migration 0026; 0024 kept only the
notes of sessions, without ``requires_cosign``).

It is derived, local and not synced, like ``metric_day_totals``: SQLite triggers on ``notes`` and
``appointments`` keep it right whoever writes (the services, sync's apply, a restored backup), a
note's row leaving with the note or its deletion, a session's columns following the session.
``siblings`` counts the rows of the same session (1 for a note without one), so that the "is it
the first?" look-up is made only for the rare session with more than one note. Migration 0024
created it, 0026 makes it again with the notes without a session (about 6 s for a million notes).
PostgreSQL (a hub's) does not get it: the engine reads the two tables there.
A later migration that rebuilds ``notes`` or ``appointments`` drops the triggers with the old table
and must call :func:`drop` then :func:`create` again (the tests check they are there at head).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Connection, Date, Float, Index, Integer, MetaData, String, Table

from mentalspace_desktop.store import derived

local_metadata = MetaData()  # not a synced table: not in backups' or sync's table lists, not on the hub

metric_note_rows = Table(
    "metric_note_rows", local_metadata,
    # the note: keyed as the notes' (author, service date) index, so a period's notes are one range
    Column("author_id", String(36), primary_key=True),
    Column("service_date", Date, primary_key=True),
    Column("note_id", String(36), primary_key=True),
    Column("appointment_id", String(36)),  # NULL: a note written without a session
    Column("status", String(12)),
    Column("note_type", String(20)),
    Column("authored_jd", Float),  # julianday(coalesce(submitted_at, signed_at)): NULL until signed
    Column("signed", Boolean, nullable=False),  # signed_at IS NOT NULL
    Column("addendum", Boolean, nullable=False),  # coalesce(addendum_to, '') != ''
    Column("siblings", Integer, nullable=False),  # rows of its session, this one included (1: no session)
    # its session: NULL while the session is not in the store
    Column("start_jd", Float),
    Column("end_jd", Float),
    Column("provider_id", String(36)),
    Column("session_status", String(20)),
    Column("with_client", Boolean),
    Column("session_deleted", Boolean),
    # the note again: whether it awaits a supervisor's co-signature (supervision note timeliness)
    Column("requires_cosign", Boolean, nullable=False),
    Index("ix_metric_note_rows_session", "appointment_id", "note_id"),
    sqlite_with_rowid=False,
)

NOTE_COLUMNS = ("author_id", "service_date", "appointment_id", "status", "note_type", "submitted_at", "signed_at",
                "addendum_to", "deleted", "requires_cosign")
"""The notes' columns a row is made of: an update of any other (the sealed text, a co-signature)
does not fire the trigger."""
SESSION_COLUMNS = ("start_at", "end_at", "provider_id", "status", "client_id", "deleted")


def _session(a: str) -> str:
    """The session's columns of a row, from the appointment ``a`` (NULLs when it is absent)."""
    return (f"julianday({a}.start_at), julianday({a}.end_at), {a}.provider_id, {a}.status, "
            f"{a}.client_id IS NOT NULL, {a}.deleted")


def _row(n: str, siblings: str) -> str:
    """A row's columns, in the table's order, for note ``n`` and its session ``a``."""
    return (f"{n}.author_id, {n}.service_date, {n}.id, {n}.appointment_id, {n}.status, {n}.note_type, "
            f"julianday(coalesce({n}.submitted_at, {n}.signed_at)), {n}.signed_at IS NOT NULL, "
            f"coalesce({n}.addendum_to, '') != '', {siblings}, {_session('a')}, coalesce({n}.requires_cosign, 0)")


LIVE = "NOT {n}.deleted"
"""The notes that have a row: every note not deleted."""


def _add(n: str) -> str:
    """Insert the row of note ``n`` (NEW) when it has one; its siblings are counted after."""
    return (f"INSERT INTO metric_note_rows SELECT {_row(n, '1')} "
            f"FROM (SELECT 1) LEFT JOIN appointments a ON a.id = {n}.appointment_id WHERE {LIVE.format(n=n)};")


def _remove(n: str) -> str:
    return (f"DELETE FROM metric_note_rows WHERE author_id = {n}.author_id AND service_date = {n}.service_date "
            f"AND note_id = {n}.id;")


def _recount(appointment: str) -> str:
    return (f"UPDATE metric_note_rows SET siblings = (SELECT count(*) FROM metric_note_rows r "
            f"WHERE r.appointment_id = {appointment}) WHERE appointment_id = {appointment};")


def _follow(a: str) -> str:
    """Set the session columns of the notes of appointment ``a`` (NEW) from it."""
    return (f"UPDATE metric_note_rows SET (start_jd, end_jd, provider_id, session_status, with_client, "
            f"session_deleted) = (SELECT {_session(a)}) WHERE appointment_id = {a}.id;")


TRIGGERS = {
    "metric_note_rows_note_insert": f"AFTER INSERT ON notes BEGIN {_add('NEW')} {_recount('NEW.appointment_id')} END",
    "metric_note_rows_note_delete": (f"AFTER DELETE ON notes BEGIN {_remove('OLD')} "
                                     f"{_recount('OLD.appointment_id')} END"),
    "metric_note_rows_note_update": (f"AFTER UPDATE OF {', '.join(NOTE_COLUMNS)} ON notes BEGIN {_remove('OLD')} "
                                     f"{_add('NEW')} {_recount('OLD.appointment_id')} "
                                     f"{_recount('NEW.appointment_id')} END"),
    "metric_note_rows_session_insert": f"AFTER INSERT ON appointments BEGIN {_follow('NEW')} END",
    "metric_note_rows_session_update": (f"AFTER UPDATE OF {', '.join(SESSION_COLUMNS)} ON appointments "
                                        f"BEGIN {_follow('NEW')} END"),
    "metric_note_rows_session_delete": (
        "AFTER DELETE ON appointments BEGIN UPDATE metric_note_rows SET start_jd = NULL, end_jd = NULL, "
        "provider_id = NULL, session_status = NULL, with_client = NULL, session_deleted = NULL "
        "WHERE appointment_id = OLD.id; END"),
}


def recount_select() -> str:
    """The table's rows worked out afresh from ``notes`` and ``appointments`` (what the fill inserts)."""
    siblings = "CASE WHEN n.appointment_id IS NULL THEN 1 ELSE count(*) OVER (PARTITION BY n.appointment_id) END"
    return (f"SELECT {_row('n', siblings)} "
            f"FROM notes n LEFT JOIN appointments a ON a.id = n.appointment_id WHERE {LIVE.format(n='n')}")


def create(conn: Connection) -> None:
    """Create the table and its triggers and fill it from the notes there (SQLite only)."""
    derived.create(conn, metric_note_rows, recount_select(), TRIGGERS)


def drop(conn: Connection) -> None:
    derived.drop(conn, metric_note_rows, TRIGGERS)
