"""Storage primitives every hub write goes through: the sequence counter, the change log, row codecs.

Numbers are taken with ``UPDATE hub_counter SET value = value + n ... RETURNING value`` inside the
write transaction. The row lock this takes serialises writers until commit, so change-log order is
commit order and every number at or below the committed counter is visible: the watermark a pull
may serve up to is simply the committed counter, read at the start of the pull.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import Column

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Base
from mentalspace_desktop.store.outbox import jsonable
from mentalspace_desktop.store.sync_models import ChangeLog, HubCounter
from mentalspace_desktop.store.types import UTCDateTime, utcnow
from mentalspace_desktop.sync.tables import TABLES

SEQ = "seq"
# Columns the hub stamps itself on every accepted write; a device's values for them are ignored.
HUB_STAMPED = frozenset({"server_seq", "updated_at", "updated_by", "device_id"})


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


def record_write(session: Session, obj: Any, *, op: str, user_id: str | None, device_id: str | None) -> int:
    """Stamp a synced row the hub is writing, give it the next number and log it; returns the number."""
    table = type(obj).__tablename__
    if getattr(obj, "id", None) is None:
        obj.id = new_id()  # the column default would only fill it at flush; the log needs it now
    seq = take_seq(session)
    obj.server_seq = seq
    obj.updated_at = utcnow()
    obj.updated_by = user_id
    obj.device_id = device_id
    session.add(obj)
    log_change(session, seq=seq, table=table, row_id=obj.id, client_id=client_of(table, to_json(obj)), op=op)
    return seq


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


# -- rows as JSON -------------------------------------------------------------------------------


def model_for(table: str) -> type[Any] | None:
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == table:
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
