"""Applying what the hub sends (pulled pages, and the rows returned for pushed changes) to the store.

Three rules keep local work safe:

- **Checkpoints.** A page and the cursor after it are written in one transaction. A sync cut short
  (crash, lost network, the user quitting a first sync) resumes after the last whole page and never
  leaves half a page visible.
- **Pending edits stay on top.** A row that still has changes waiting in the outbox keeps those
  field values locally; the hub's values fill every other field. The waiting changes are pushed
  later and merged on the hub (three-way, per field), so nothing the user typed is overwritten here.
- **No echo.** These writes run with ``session.info[APPLYING_REMOTE]`` set, so the store's outbox
  hook neither stamps them nor queues them to be pushed back.

Rows dropped from this device's scope are deleted outright: the hub still holds them, and the
engine pushes any waiting edits before it pulls, so those edits reach the row's new owner first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, delete, insert, select, text
from sqlalchemy.orm import Session

from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import Base, OutboxEntry, SyncState
from mentalspace_desktop.store.outbox import APPLYING_REMOTE
from mentalspace_desktop.store.types import UTCDateTime
from mentalspace_desktop.sync import parked, state
from mentalspace_desktop.sync.tables import TABLES

MODELS: dict[str, type[Any]] = {
    mapper.class_.__tablename__: mapper.class_
    for mapper in Base.registry.mappers
    if getattr(mapper.class_, "__synced__", False)
}
COMPARE_SKIP = frozenset({"server_seq"})  # a new sequence number alone is not a change the user sees

log = logging.getLogger(__name__)

NEW, UPDATED, UNCHANGED, SKIPPED = "new", "updated", "unchanged", "skipped"


def _value(column: Any, raw: Any) -> Any:
    """A JSON value as the column's Python type (dates and instants travel as ISO strings)."""
    if raw is None:
        return None
    kind = column.type
    if isinstance(kind, UTCDateTime):
        value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(kind, Date):
        return raw if isinstance(raw, date) else date.fromisoformat(str(raw)[:10])
    if isinstance(kind, Boolean):
        return bool(raw)
    if isinstance(kind, Integer) and not isinstance(raw, bool):
        return int(raw)
    return raw


def _instant(raw: Any) -> datetime:
    value = raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw))
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _day(raw: Any) -> date:
    return raw if isinstance(raw, date) else date.fromisoformat(str(raw)[:10])


def _integer(raw: Any) -> Any:
    return raw if isinstance(raw, bool) else int(raw)


def _converter(column: Any) -> Callable[[Any], Any] | None:
    """What :func:`_value` does for this column's type, chosen once; None: the value passes as is."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return _instant
    if isinstance(kind, Date):
        return _day
    if isinstance(kind, Boolean):
        return bool
    if isinstance(kind, Integer):
        return _integer
    return None


_CONVERTERS: dict[type[Any], dict[str, Callable[[Any], Any] | None]] = {}


def _converters(model: type[Any]) -> dict[str, Callable[[Any], Any] | None]:
    """The model's column converters by attribute key (once per model: this runs for every pulled row)."""
    found = _CONVERTERS.get(model)
    if found is None:
        found = _CONVERTERS[model] = {c.key: _converter(c.columns[0]) for c in model.__mapper__.column_attrs}
    return found


def convert(model: type[Any], row: dict[str, Any]) -> dict[str, Any]:
    """The row's values for the columns this store's model has; unknown keys are ignored."""
    converters = _converters(model)
    values: dict[str, Any] = {}
    for key, raw in row.items():
        if key in converters:
            fn = converters[key]
            values[key] = raw if fn is None or raw is None else fn(raw)
    return values


def pending_map(session: Session) -> dict[tuple[str, str], dict[str, Any]]:
    """For every row with outbox entries still pending: its waiting field values (newest write wins)."""
    values: dict[tuple[str, str], dict[str, Any]] = {}
    entries = session.scalars(select(OutboxEntry).where(OutboxEntry.status == "pending")
                              .order_by(OutboxEntry.device_seq))
    for entry in entries:
        fields = values.setdefault((entry.table_name, entry.row_id), {})
        for name, pair in json.loads(entry.changes).items():
            fields[name] = pair[1]
    return values


def apply_row(session: Session, table: str, row_id: str, row: dict[str, Any], server_seq: int | None,
              *, pending: dict[tuple[str, str], dict[str, Any]] | None = None, existing: Any = None,
              loaded: bool = False, new_rows: dict[type[Any], list[dict[str, Any]]] | None = None) -> str:
    """Insert or update one row as the hub holds it, keeping this device's pending field values.

    ``loaded``: the caller has already looked the row up (``existing`` None means it is not here),
    so it is not fetched again. ``new_rows``: new rows are collected there, by model, for the caller
    to insert in bulk (:func:`insert_new`) instead of being added one ORM object at a time.
    Returns NEW, UPDATED, UNCHANGED, or SKIPPED for a table this store does not keep.
    """
    model = MODELS.get(table)
    spec = TABLES.get(table)
    if model is None or not row_id or (spec is not None and not spec.pulled):
        return SKIPPED
    if pending is None:
        pending = pending_map(session)
    waiting = convert(model, pending.get((table, row_id), {}))
    values = convert(model, {**row, "id": row_id})
    if server_seq is not None:
        values["server_seq"] = int(server_seq)
    obj = existing if existing is not None or loaded else session.get(model, row_id)
    if obj is None:
        if new_rows is not None:
            new_rows.setdefault(model, []).append({**values, **waiting})
        else:
            session.add(model(**{**values, **waiting}))
        return NEW
    changed = False
    for key, value in values.items():
        if key in waiting or getattr(obj, key) == value:
            continue
        setattr(obj, key, value)
        changed = changed or key not in COMPARE_SKIP
    return UPDATED if changed else UNCHANGED


def insert_new(session: Session, new_rows: dict[type[Any], list[dict[str, Any]]]) -> None:
    """Insert collected new rows with one executemany per model (and per set of fields sent).

    Column defaults fill what the hub did not send, as they would for an ORM insert; the outbox hook
    is not involved either way (these are the hub's rows, see APPLYING_REMOTE).
    """
    for model, rows in new_rows.items():
        by_keys: dict[frozenset[str], list[dict[str, Any]]] = {}
        for values in rows:
            by_keys.setdefault(frozenset(values), []).append(values)
        for group in by_keys.values():
            session.execute(insert(model), group)


def drop_row(session: Session, table: str, row_id: str) -> bool:
    """Delete a row that left this device's scope, with the rows that hang off it by foreign key.

    Dependents go at every depth (an appointment's notes, and those notes' bodies, versions and
    addenda): a row left pointing at a deleted one would fail the page's deferred key check at commit.
    """
    model = MODELS.get(table)
    if model is None:
        return False
    _drop_dependents(session, model.__table__, [row_id], {(table, row_id)})
    result = session.execute(delete(model.__table__).where(model.__table__.c.id == row_id))
    return bool(getattr(result, "rowcount", 0))


def _drop_dependents(session: Session, parent: Any, ids: list[str], seen: set[tuple[str, str]]) -> None:
    for child in Base.metadata.sorted_tables:
        if child.name not in MODELS:
            continue
        for fk in child.foreign_keys:
            if fk.column.table is not parent or fk.column.key != "id":
                continue
            found = [str(i) for i in session.scalars(select(child.c.id).where(fk.parent.in_(ids)))
                     if (child.name, str(i)) not in seen]
            if not found:
                continue
            seen.update((child.name, i) for i in found)
            _drop_dependents(session, child, found, seen)
            session.execute(delete(child).where(child.c.id.in_(found)))


@dataclass
class PageTally:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    dropped: int = 0
    parked: int = 0  # rows held back until the row they refer to arrives (sync/parked.py)
    tables: frozenset[str] = frozenset()


def _existing(session: Session, rows: Iterable[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """The local versions of a page's rows, loaded a few hundred per query."""
    by_table: dict[str, list[str]] = {}
    for item in rows:
        if item.get("table") in MODELS:
            by_table.setdefault(str(item["table"]), []).append(str(item["row_id"]))
    found: dict[tuple[str, str], Any] = {}
    for table, ids in by_table.items():
        model = MODELS[table]
        for start in range(0, len(ids), 500):
            for obj in session.scalars(select(model).where(model.id.in_(ids[start:start + 500]))):
                found[(table, obj.id)] = obj
    return found


def apply_page(store: Store, page: dict[str, Any], *, snapshot_page: int | None = None) -> PageTally:
    """Apply one pulled page and its cursor as one checkpoint (all of it, or nothing).

    ``snapshot_page`` numbers the pages of a fresh snapshot after an epoch change: the ids seen are
    kept with the checkpoint, so rows the new snapshot lacks can be removed at its end even when the
    snapshot was interrupted and resumed in between.
    """
    tally = PageTally()
    rows: list[dict[str, Any]] = list(page.get("rows") or [])
    with store.write() as s:
        s.info[APPLYING_REMOTE] = True
        s.execute(text("PRAGMA defer_foreign_keys = ON"))  # parents may come later in the same page
        sent = rows
        if snapshot_page == 0:  # a fresh snapshot re-sends all this device may hold: none waits from before
            state.remove_prefix(s, parked.PREFIX)
        rows = _with_parked(s, rows, page.get("drops") or [], tally)
        pending = pending_map(s)
        existing = _existing(s, rows)
        new_rows: dict[type[Any], list[dict[str, Any]]] = {}
        for item in rows:
            table, row_id = str(item["table"]), str(item["row_id"])
            outcome = apply_row(s, table, row_id, dict(item.get("row") or {}), item.get("server_seq"),
                                pending=pending, existing=existing.get((table, row_id)), loaded=True,
                                new_rows=new_rows)
            if outcome == NEW:
                tally.new += 1
            elif outcome == UPDATED:
                tally.updated += 1
            elif outcome == UNCHANGED:
                tally.unchanged += 1
        s.flush()
        insert_new(s, new_rows)
        for drop in page.get("drops") or []:
            if drop_row(s, str(drop["table"]), str(drop["row_id"])):
                tally.dropped += 1
        if snapshot_page is not None:
            seen = [f"{item['table']}:{item['row_id']}" for item in sent]
            state.put(s, f"{state.SNAPSHOT_SEEN_PREFIX}{snapshot_page}", json.dumps(seen))
        state.put(s, state.CURSOR, str(page.get("cursor") or ""))
        if page.get("epoch"):
            state.put(s, state.EPOCH, str(page["epoch"]))
    tally.tables = frozenset(str(item["table"]) for item in rows)
    return tally


def _with_parked(s: Session, rows: list[dict[str, Any]], drops: list[dict[str, Any]],
                 tally: PageTally) -> list[dict[str, Any]]:
    """The rows to apply now: the page's and those held back earlier, minus any that still refer to a
    row this store does not hold (kept aside in the same checkpoint, see ``sync/parked.py``)."""
    waiting = parked.load(s)
    dropped = {(str(d["table"]), str(d["row_id"])) for d in drops}
    items: dict[tuple[str, str], dict[str, Any]] = {
        key: item for key, item in waiting.items() if key not in dropped}
    for item in rows:  # a newer version from the hub replaces a held-back one
        items[(str(item["table"]), str(item["row_id"]))] = item
    parked.release(s, [key for key in waiting if key in dropped])  # even in a page of drops alone
    if not any(parked.references(table) for table, _ in items):
        return rows
    ready, held = parked.split(s, items)
    parked.release(s, [key for key in waiting if key in ready])
    for key in held:
        parked.park(s, items[key])
    tally.parked = len(held)
    if held:
        log.info("%d pulled row(s) wait for a row they refer to (next page)", len(held))
    return [items[key] for key in ready]


def finish_snapshot(store: Store) -> int:
    """After a complete fresh snapshot: remove pulled-table rows it did not contain.

    Rows with changes still waiting in the outbox are kept (they will be pushed; the hub decides).
    Audit entries are never pulled, so they are never removed here.
    """
    removed = 0
    with store.write() as s:
        s.info[APPLYING_REMOTE] = True
        s.execute(text("PRAGMA defer_foreign_keys = ON"))
        seen: set[str] = set()
        for (value,) in s.execute(select(SyncState.value).where(
                SyncState.key.startswith(state.SNAPSHOT_SEEN_PREFIX))):
            seen.update(json.loads(value))
        pending = pending_map(s)
        for table, model in MODELS.items():
            spec = TABLES.get(table)
            if spec is None or not spec.pulled:
                continue
            for (row_id,) in s.execute(select(model.id)):
                if f"{table}:{row_id}" in seen or (table, row_id) in pending:
                    continue
                if drop_row(s, table, row_id):
                    removed += 1
        # A row still waiting for its parent that the new snapshot did not send is not this device's.
        parked.release(s, [key for key in parked.load(s) if f"{key[0]}:{key[1]}" not in seen])
        state.remove_prefix(s, state.SNAPSHOT_SEEN_PREFIX)
        state.remove(s, state.RESNAPSHOT)
    return removed
