"""Pulled rows whose parent row has not arrived yet, kept aside until it does.

A pull page ends wherever the hub's change log reaches the page size, and a row can reach a device
before the row it refers to: when a colleague's visit is given to a covering clinician, the hub logs
the visit and only then the client's demographics row that comes with it (a re-scope), so a page may
end between the two. The store checks foreign keys, so applying the visit alone would fail the whole
page — and fail it again on every retry, since the cursor cannot move past it.

So :func:`split` holds back every row of a page that refers to a row neither in the store nor among
the rows applied with it, and the page is applied without it. The held-back row is kept here (in
``sync_state``, inside the same checkpoint as the page) and applied by the first later page that
brings its parent, or dropped with it if the hub says it left this device's scope. Nothing is lost,
and nothing half-linked ever shows on screen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import Base, SyncState
from mentalspace_desktop.sync import state

PREFIX = "parked:"  # one sync_state key per row held back: parked:<table>:<row id>

Key = tuple[str, str]  # (table, row id)


@cache
def _models() -> dict[str, type[Any]]:
    return {m.class_.__tablename__: m.class_ for m in Base.registry.mappers if getattr(m.class_, "__synced__", False)}


@cache
def references(table: str) -> tuple[tuple[str, str], ...]:
    """(attribute key, parent table) for each foreign key of a synced table to another synced table."""
    models = _models()
    model = models.get(table)
    if model is None:
        return ()
    by_column = {c.columns[0].name: c.key for c in model.__mapper__.column_attrs}
    found = []
    for fk in model.__table__.foreign_keys:
        parent = fk.column.table.name
        if parent in models and fk.column.key == "id" and fk.parent.name in by_column:
            found.append((by_column[fk.parent.name], parent))
    return tuple(sorted(found))


def _key_text(key: Key) -> str:
    return f"{PREFIX}{key[0]}:{key[1]}"


def load(session: Session) -> dict[Key, dict[str, Any]]:
    """The rows held back so far, as page items (``{"table", "row_id", "server_seq", "row"}``)."""
    items: dict[Key, dict[str, Any]] = {}
    for (value,) in session.execute(select(SyncState.value).where(SyncState.key.startswith(PREFIX))):
        item = json.loads(value)
        items[(str(item["table"]), str(item["row_id"]))] = item
    return items


def park(session: Session, item: dict[str, Any]) -> None:
    state.put(session, _key_text((str(item["table"]), str(item["row_id"]))), json.dumps(item, default=str))


def release(session: Session, keys: Iterable[Key]) -> None:
    """Forget held-back rows (applied now, or dropped from this device's scope)."""
    for key in keys:
        state.remove(session, _key_text(key))


def count(store: Store) -> int:
    """How many rows wait for a parent (the Sync page says so; in practice a row waits a page or two)."""
    with store.read() as s:
        return int(s.scalar(select(func.count()).select_from(SyncState).where(SyncState.key.startswith(PREFIX)))
                   or 0)


def split(session: Session, items: dict[Key, dict[str, Any]]) -> tuple[list[Key], list[Key]]:
    """(ready, waiting): which of ``items`` can be applied now, and which refer to a row that is
    neither in the store nor among the ready items (at any depth: a status change whose visit waits
    for its client waits too). Costs one query per parent table referred to from outside ``items``."""
    models = _models()
    refs: dict[Key, list[Key]] = {}
    wanted: dict[str, set[str]] = {}
    for key, item in items.items():
        row = item.get("row") or {}
        found = [(parent, str(row[attribute])) for attribute, parent in references(key[0])
                 if row.get(attribute) is not None]
        found = [ref for ref in found if ref != key]
        if found:
            refs[key] = found
            for parent, value in found:
                if (parent, value) not in items:
                    wanted.setdefault(parent, set()).add(value)
    present: set[Key] = set()
    for parent, ids in wanted.items():
        model = models[parent]
        ordered = sorted(ids)
        for start in range(0, len(ordered), 500):
            chunk = ordered[start:start + 500]
            present.update((parent, str(i)) for i in session.scalars(select(model.id).where(model.id.in_(chunk))))
    # Rows missing a parent outright wait; then so does whatever refers to a waiting row, and so on.
    waiting = {key for key, found in refs.items()
               if any(ref not in items and ref not in present for ref in found)}
    grew = bool(waiting)
    while grew:
        grew = False
        for key, found in refs.items():
            if key not in waiting and any(ref in waiting for ref in found):
                waiting.add(key)
                grew = True
    return [k for k in items if k not in waiting], [k for k in items if k in waiting]
