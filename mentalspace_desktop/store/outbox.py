"""Recording every local write of a synced row in the outbox, inside the same transaction.

A ``before_flush`` hook sees every new, changed and deleted object of a store session; it stamps
the sync columns and appends an :class:`OutboxEntry` with the changed fields (old and new values)
and the ``server_seq`` the change was based on. Nothing that writes through a store session can
forget to do this, which is the point.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session, UOWTransaction

from mentalspace_desktop.store.models import OutboxEntry
from mentalspace_desktop.store.types import utcnow

STAMPED = ("updated_at", "updated_by", "device_id", "server_seq")

# Bookkeeping of one workstation's sign-ins: never pushed (each device and the hub keep their own),
# so signing in on two laptops does not make a conflict out of a user's row.
LOCAL_ONLY: dict[str, frozenset[str]] = {"users": frozenset({"last_login_at", "totp_last_step"})}


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row_dict(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    return {col.key: jsonable(getattr(obj, col.key)) for col in mapper.column_attrs}


def apply_python_defaults(obj: Any) -> None:
    """Fill column defaults now, so the outbox records the row as it will be stored."""
    for col in inspect(obj).mapper.columns:
        default = col.default
        if default is None or getattr(obj, col.key, None) is not None:
            continue
        if default.is_scalar:
            setattr(obj, col.key, default.arg)
        elif default.is_callable:
            setattr(obj, col.key, default.arg(None))


def _changes(obj: Any) -> dict[str, list[Any]]:
    state = inspect(obj)
    changed: dict[str, list[Any]] = {}
    local_only = LOCAL_ONLY.get(type(obj).__tablename__, frozenset())
    for attr in state.mapper.column_attrs:
        if attr.key in STAMPED or attr.key in local_only:
            continue
        hist = state.attrs[attr.key].history
        if hist.has_changes():
            old = hist.deleted[0] if hist.deleted else None
            new = hist.added[0] if hist.added else None
            if old != new:
                changed[attr.key] = [jsonable(old), jsonable(new)]
    return changed


def _base_server_seq(obj: Any) -> int | None:
    hist = inspect(obj).attrs["server_seq"].history
    return hist.deleted[0] if hist.deleted else obj.server_seq


APPLYING_REMOTE = "applying_remote"
"""Set ``session.info[APPLYING_REMOTE] = True`` in a transaction that writes rows as the hub sent them
(sync.apply): those writes already happened on the hub, so they are neither stamped nor put in the
outbox (pushing them back would echo every pulled row forever). Only sync code sets it."""


def record_outbox(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    """Stamp sync columns on synced rows and append their changes to the outbox."""
    if session.info.get(APPLYING_REMOTE):
        return
    user_id = session.info.get("user_id")
    device_id = session.info.get("device_id")
    schema = session.info.get("schema_version", "")
    now = utcnow()
    entries: list[OutboxEntry] = []
    for obj in list(session.deleted):
        if getattr(obj, "__synced__", False):
            raise RuntimeError(f"{type(obj).__name__} rows are never deleted; set deleted=True instead")
    for obj in list(session.new) + list(session.dirty):
        if not getattr(obj, "__synced__", False):
            continue
        is_new = obj in session.new
        if is_new:
            apply_python_defaults(obj)
        if is_new:
            changes = {k: [None, jsonable(v)] for k, v in row_dict(obj).items() if k not in STAMPED}
        else:
            changes = _changes(obj)
        if not changes:
            continue
        obj.updated_at = now
        obj.updated_by = user_id
        obj.device_id = device_id
        tombstoned = not is_new and "deleted" in changes and changes["deleted"][1] is True
        entries.append(
            OutboxEntry(
                table_name=type(obj).__tablename__,
                row_id=obj.id,
                op="insert" if is_new else ("delete" if tombstoned else "update"),
                base_server_seq=None if is_new else _base_server_seq(obj),
                changes=json.dumps(changes, default=str),
                row=json.dumps(row_dict(obj), default=str),
                schema_version=schema,
            )
        )
    session.add_all(entries)
