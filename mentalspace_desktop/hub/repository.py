"""Storage primitives every hub write goes through: the sequence counter, the change log, row codecs.

Numbers are taken with ``UPDATE hub_counter SET value = value + n ... RETURNING value`` inside the
write transaction. The row lock this takes is held until commit, so from a writer's first number to
its commit no other writer can take one: change-log order is commit order and every number at or
below the committed counter is visible. The watermark a pull may serve up to is therefore simply the
committed counter, read at the start of the pull.

A push takes that lock only for the short tail of its transaction (:func:`number_writes`): it first
locks the rows it changes (:func:`lock_rows`, in a fixed order) and does its work, then numbers the
whole batch with one counter update. The counter is always the last lock a writer takes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import (
    Boolean,
    Date,
    Integer,
    String,
    Table,
    any_,
    bindparam,
    delete,
    func,
    literal,
    select,
    text,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.schema import Column

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Base, Client
from mentalspace_desktop.store.outbox import jsonable
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentStatusChange, GroupMember, TherapyGroup
from mentalspace_desktop.store.sync_models import ChangeLog, DeviceHolding, HubCounter
from mentalspace_desktop.store.types import UTCDateTime, utcnow
from mentalspace_desktop.sync.tables import TABLES

SEQ = "seq"
# Columns the hub stamps itself on every accepted write; a device's values for them are ignored.
HUB_STAMPED = frozenset({"server_seq", "updated_at", "updated_by", "device_id"})


def client_tables() -> list[tuple[type[Any], str]]:
    """Rows that follow their client's scope, logged again when the client changes hands: every pulled
    table with a client key (model, key column), parents first (``sync/tables.py``'s order), so a
    workstation that now may hold them receives an appointment before the note naming it."""
    found = []
    for name, spec in TABLES.items():
        model = model_for(name)
        if spec.client_key and name != "clients" and spec.pulled and model is not None:
            found.append((model, spec.client_key))
    return found


def lock_writes(session: Session) -> int:
    """Take the counter's row lock now, before reading rows a write depends on; returns its value.

    On PostgreSQL this queues concurrent pushes, so two devices editing one row cannot both merge
    against the same old state. (SQLite's ``BEGIN IMMEDIATE`` has already done the same.)
    """
    stmt = select(HubCounter.value).where(HubCounter.name == SEQ).with_for_update()
    return int(session.execute(stmt).scalar_one())


def take_seq(session: Session, count: int = 1) -> int:
    """Reserve ``count`` numbers; returns the highest (the range is ``result - count + 1 .. result``)."""
    stmt = (
        update(HubCounter)
        .where(HubCounter.name == SEQ)
        .values(value=HubCounter.value + count)
        .returning(HubCounter.value)
    )
    return int(session.execute(stmt).scalar_one())


def committed_seq(session: Session) -> int:
    """The watermark: every change-log row at or below it is committed."""
    return int(session.execute(select(HubCounter.value).where(HubCounter.name == SEQ)).scalar_one())


def log_change(
    session: Session, *, seq: int, table: str, row_id: str, client_id: str | None, op: str
) -> None:
    session.add(ChangeLog(seq=seq, table_name=table, row_id=row_id, client_id=client_id, op=op, at=utcnow()))


def lock_rows(session: Session, model: type[Any], ids: list[str]) -> dict[str, Any]:
    """Lock the existing rows among ``ids`` until commit, in id order, and load them; returns them by id.

    ``FOR NO KEY UPDATE``: a second push to one of these rows waits here and then reads the row as
    the first one left it, so no update is lost. It does not block inserts whose foreign keys point
    at these rows (they take ``FOR KEY SHARE``). Every writer locks in the same order (table, then
    id), so two pushes touching the same rows queue instead of deadlocking. SQLite ignores the
    clause: its ``BEGIN IMMEDIATE`` already serialises writers. The caller keeps the returned
    objects referenced (the session's identity map holds them only weakly).
    """
    if not ids:
        return {}
    stmt = (
        select(model)
        .where(model.id.in_(sorted(set(ids))))
        .order_by(model.id)
        .with_for_update(key_share=True)
        # Relationships (a client's insurances and consents, "selectin" by default) load only if
        # used: a push reads and writes the row's own columns, and eager loads cost two queries.
        .options(lazyload("*"))
        .execution_options(populate_existing=True)  # the state as of the lock, not as first loaded
    )
    return {obj.id: obj for obj in session.scalars(stmt)}


@dataclass
class PendingWrite:
    """A row written in this transaction that still needs its number and change-log entry."""

    obj: Any
    op: str
    client_id: str | None
    seq: int = 0  # filled by number_writes


def stamp(session: Session, obj: Any, *, op: str, user_id: str | None, device_id: str | None) -> PendingWrite:
    """Stamp a synced row the hub is writing (all but its number) and add it to the session."""
    if getattr(obj, "id", None) is None:
        obj.id = new_id()  # the column default would only fill it at flush; the log needs it now
    obj.updated_at = utcnow()
    obj.updated_by = user_id
    obj.device_id = device_id
    session.add(obj)
    return PendingWrite(obj, op, client_of(type(obj).__tablename__, to_json(obj)))


def number_writes(session: Session, writes: list[PendingWrite]) -> None:
    """Give ``writes`` consecutive numbers, in order, with one counter update, and log each of them.

    This takes the counter's row lock, which stays held until the caller commits: no other writer
    can number (or commit numbered rows) in between, so commits happen in sequence order and every
    number at or below the committed counter is visible — the watermark rule pulls rely on. Call it
    last, after every other lock the transaction needs, and commit soon after.

    Every push waits its turn for that lock, so on PostgreSQL the whole tail is one statement (see
    :func:`_number_in_one_statement`): the lock is held for that statement and the commit only.
    """
    if not writes:
        return
    if on_postgresql(session):
        _number_in_one_statement(session, writes)
        return
    top = take_seq(session, len(writes))
    for offset, write in enumerate(writes):
        write.seq = top - len(writes) + 1 + offset
        write.obj.server_seq = write.seq  # a row written twice keeps the later number
        log_change(
            session,
            seq=write.seq,
            table=type(write.obj).__tablename__,
            row_id=write.obj.id,
            client_id=write.client_id,
            op=write.op,
        )


def _number_in_one_statement(session: Session, writes: list[PendingWrite]) -> None:
    """:func:`number_writes` on PostgreSQL: counter, change log and ``server_seq`` in one statement.

    The rows are flushed first, so the statement takes no lock but the counter's (the rows written
    are this transaction's already). Number ``top - n + k`` goes to the k-th write (1-based); a row
    written twice keeps the later number. The objects learn their numbers without being dirtied
    (the row already holds them), so nothing is left to flush under the lock.
    """
    session.flush()
    count = len(writes)
    last: dict[tuple[str, str], int] = {}  # (table, id) -> ordinal of its last write
    for ordinal, write in enumerate(writes, 1):
        last[(type(write.obj).__tablename__, write.obj.id)] = ordinal
    quote = session.get_bind().dialect.identifier_preparer.quote
    params: dict[str, Any] = {
        "n": count,
        "name": SEQ,
        "at": utcnow(),
        "tables": [type(w.obj).__tablename__ for w in writes],
        "row_ids": [w.obj.id for w in writes],
        "client_ids": [w.client_id for w in writes],
        "ops": [w.op for w in writes],
    }
    parts = [
        "WITH counter AS (UPDATE hub_counter SET value = value + :n WHERE name = :name RETURNING value), "
        "logged AS (INSERT INTO change_log (seq, table_name, row_id, client_id, op, at) "
        "SELECT counter.value - :n + w.ord, w.table_name, w.row_id, w.client_id, w.op, :at FROM counter, "
        "unnest(CAST(:tables AS VARCHAR[]), CAST(:row_ids AS VARCHAR[]), CAST(:client_ids AS VARCHAR[]), "
        "CAST(:ops AS VARCHAR[])) WITH ORDINALITY AS w(table_name, row_id, client_id, op, ord))"
    ]
    for index, table in enumerate(sorted({table for table, _ in last})):
        mine = [(row_id, ordinal) for (t, row_id), ordinal in last.items() if t == table]
        params[f"ids_{index}"] = [row_id for row_id, _ in mine]
        params[f"ords_{index}"] = [ordinal for _, ordinal in mine]
        parts.append(
            f", numbered_{index} AS (UPDATE {quote(table)} AS t SET server_seq = counter.value - :n + w.ord "
            f"FROM counter, unnest(CAST(:ids_{index} AS VARCHAR[]), CAST(:ords_{index} AS BIGINT[])) "
            f"AS w(id, ord) WHERE t.id = w.id)"
        )
    parts.append(" SELECT value FROM counter")
    top = int(session.execute(text("".join(parts)), params).scalar_one())
    for ordinal, write in enumerate(writes, 1):
        write.seq = top - count + ordinal
        key = (type(write.obj).__tablename__, write.obj.id)
        set_committed_value(write.obj, "server_seq", top - count + last[key])


def record_write(session: Session, obj: Any, *, op: str, user_id: str | None, device_id: str | None) -> int:
    """Stamp a synced row the hub is writing, give it the next number and log it; returns the number."""
    write = stamp(session, obj, op=op, user_id=user_id, device_id=device_id)
    number_writes(session, [write])
    return write.seq


def rescope_client(session: Session, client_id: str) -> None:
    """Log the client's dependent rows again so every device re-checks them against its scope.

    Their own ``server_seq`` stays: the rows did not change, only who may hold them did. Call it
    holding the counter lock (after :func:`number_writes`), so the dependents read are all there are.
    The groups the client belongs to come first: their rows follow the members' clinicians
    (``scopes.Scopes.groups``), and a membership names its group.
    """
    members = GroupMember.__table__.c
    for group_id in sorted({str(g) for g in session.scalars(
            select(members.group_id).where(members.client_id == client_id))}):
        rescope_group(session, group_id)
    for model, key in client_tables():
        ids = list(session.scalars(select(model.id).where(getattr(model, key) == client_id)))
        if not ids:
            continue
        top = take_seq(session, len(ids))
        for offset, row_id in enumerate(ids):
            log_change(
                session,
                seq=top - len(ids) + 1 + offset,
                table=model.__tablename__,
                row_id=row_id,
                client_id=client_id,
                op="rescope",
            )


def rescope_covered_client(session: Session, client_id: str) -> None:
    """A visit of the client went to (or came back from) a covering provider: log the client's row and
    its appointments' status history again, so that provider's devices receive or drop them."""
    history = AppointmentStatusChange.__table__.c
    rows = [("clients", client_id)] + [
        ("appointment_status_history", str(row_id))
        for row_id in session.scalars(select(history.id).where(history.client_id == client_id))
    ]
    top = take_seq(session, len(rows))
    for offset, (table, row_id) in enumerate(rows):
        log_change(session, seq=top - len(rows) + 1 + offset, table=table, row_id=row_id, client_id=client_id,
                   op="rescope")


def rescope_group(session: Session, group_id: str) -> None:
    """A client joined (or left) a group: log the group's row and its sessions' appointments (which
    name no client) again, so the client's clinician's devices receive or drop them."""
    groups, appointments = TherapyGroup.__table__.c, Appointment.__table__.c
    rows = [("therapy_groups", str(g)) for g in session.scalars(select(groups.id).where(groups.id == group_id))]
    rows += [("appointments", str(a)) for a in session.scalars(
        select(appointments.id).where(appointments.group_id == group_id, appointments.client_id.is_(None)))]
    if not rows:
        return
    top = take_seq(session, len(rows))
    for offset, (table, row_id) in enumerate(rows):
        log_change(session, seq=top - len(rows) + 1 + offset, table=table, row_id=row_id, client_id=None,
                   op="rescope")


def rescope_caseload(session: Session, clinician_id: str) -> None:
    """A clinician's supervisor changed: their clients (and dependents) move between supervisors' scopes."""
    client_ids = list(session.scalars(select(Client.id).where(Client.primary_clinician_id == clinician_id)))
    if not client_ids:
        return
    top = take_seq(session, len(client_ids))
    for offset, client_id in enumerate(client_ids):
        log_change(
            session,
            seq=top - len(client_ids) + 1 + offset,
            table="clients",
            row_id=client_id,
            client_id=client_id,
            op="rescope",
        )
        rescope_client(session, client_id)


def client_of(table: str, row: dict[str, Any] | None) -> str | None:
    """The client a row belongs to (for scopes), or None for practice-wide rows."""
    spec = TABLES.get(table)
    if spec is None or spec.client_key is None or row is None:
        return None
    value = row.get(spec.client_key)
    return str(value) if value is not None else None


def insert_ignore(session: Session, model: type[Any], rows: list[dict[str, Any]], keys: list[str]) -> None:
    """Insert rows whose key is not there yet (two requests racing to record the same fact)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(model).on_conflict_do_nothing(index_elements=keys), rows)


def on_postgresql(session: Session) -> bool:
    return bool(session.get_bind().dialect.name == "postgresql")


# -- lists of ids as one parameter ---------------------------------------------------------------
# A pull asks about hundreds of rows at once. On PostgreSQL the ids travel as one array parameter
# (``= ANY(...)``), so a statement's text never changes with their number: SQLAlchemy builds and
# caches it once, the driver converts it once and the server prepares it. SQLite gets an IN list.


def ids_among(column: Any, name: str, postgres: bool) -> ColumnElement[bool]:
    """``column`` is one of the ids given as parameter ``name`` (see :func:`id_values`)."""
    if postgres:
        return column == any_(cast_(bindparam(name, type_=String), postgresql.ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))


def id_values(ids: list[str], postgres: bool) -> Any:
    """The value for an :func:`ids_among` parameter. On PostgreSQL an array literal written out here,
    every element quoted (so any character is safe): far cheaper than the driver's per-element check."""
    if not postgres:
        return list(ids)
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in ids) + "}"


def among(session: Session, column: Any, ids: list[str]) -> ColumnElement[bool]:
    """``column IN (ids)``, built for one use (see :func:`ids_among` for statements built once)."""
    if on_postgresql(session):
        return column == any_(cast_(literal(id_values(ids, True), String), postgresql.ARRAY(String)))
    return column.in_(ids)


_HOLD_KEYS = ["device_id", "table_name", "row_id"]
_HOLD_PG = (
    postgresql.insert(cast(Table, DeviceHolding.__table__))
    .from_select(
        _HOLD_KEYS,
        select(
            bindparam("device_id", type_=String),
            bindparam("table_name", type_=String),
            func.unnest(cast_(bindparam("ids", type_=String), postgresql.ARRAY(String))),
        ),
    )
    .on_conflict_do_nothing(index_elements=_HOLD_KEYS)
)


def hold(session: Session, device_id: str, table: str, row_ids: list[str]) -> None:
    """Remember that the device now holds these rows (rows it already holds are left alone)."""
    if not row_ids:
        return
    if on_postgresql(session):  # one statement whatever the count
        session.execute(_HOLD_PG, {"device_id": device_id, "table_name": table, "ids": id_values(row_ids, True)})
        return
    insert_ignore(
        session,
        DeviceHolding,
        [{"device_id": device_id, "table_name": table, "row_id": r} for r in row_ids],
        _HOLD_KEYS,
    )


def release(session: Session, device_id: str, table: str, row_ids: list[str]) -> None:
    """Forget that the device holds these rows (it has been told to drop them)."""
    for start in range(0, len(row_ids), 500):
        session.execute(
            delete(DeviceHolding).where(
                DeviceHolding.device_id == device_id,
                DeviceHolding.table_name == table,
                among(session, DeviceHolding.row_id, row_ids[start : start + 500]),
            )
        )


# -- rows as JSON -------------------------------------------------------------------------------


_MODELS: dict[str, type[Any]] = {}


def model_for(table: str) -> type[Any] | None:
    model = _MODELS.get(table)
    if model is not None:
        return model
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
            _MODELS[table] = mapper.class_  # mapped classes never change once imported
            return mapper.class_
    return None


def columns_of(model: type[Any]) -> dict[str, Column[Any]]:
    return {col.key: col for col in model.__table__.columns}


def to_json(obj: Any) -> dict[str, Any]:
    """A row as the protocol carries it: dates and instants as ISO-8601 strings."""
    return {col.key: jsonable(getattr(obj, col.key)) for col in obj.__table__.columns}


def from_json(column: Column[Any], value: Any) -> Any:
    """A protocol value converted for ``column``; ValueError names the field, never the value (PHI)."""
    name = column.key
    if value is None:
        return None
    kind = column.type
    try:
        if isinstance(kind, UTCDateTime):
            parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
        if isinstance(kind, Date):
            if isinstance(value, datetime):
                return value.date()
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if isinstance(kind, Boolean):
            if isinstance(value, bool) or value in (0, 1):
                return bool(value)
            raise ValueError
        if isinstance(kind, Integer):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError
            return value
        if isinstance(kind, String):
            if not isinstance(value, str):
                raise ValueError
            if kind.length is not None and len(value) > kind.length:
                raise ValueError(f"{name} is longer than {kind.length} characters")
            return value
    except ValueError as exc:
        raise ValueError(
            str(exc) if str(exc).startswith(name) else f"{name} has a value of the wrong kind"
        ) from None
    return value


def normalise(column: Column[Any], value: Any) -> Any:
    """The JSON form the hub itself would produce for this value (so comparisons are like for like)."""
    return jsonable(from_json(column, value))


def dumps(value: Any) -> str:
    return json.dumps(value, default=str, sort_keys=True)
