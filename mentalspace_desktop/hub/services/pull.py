"""Serving a device the change log below the committed watermark, filtered by its user's scope.

A page is every change-log entry after the cursor, up to the watermark (the committed counter, read
first), at most ``limit`` of them; each entry names a row, sent as it is now if the user may read
it. The hub remembers which rows each device holds, so a row that has left the device's scope (a
client reassigned to another clinician) comes back as a drop instead of silently staying.

Pulls are the hub's most frequent request, so a page costs a fixed handful of queries whatever its
size: the caller's check, the epoch and watermark together, the device's staff (whose fingerprint the
cursor carries, so a change of staff or roles takes a fresh snapshot), the change log, then per table
one query for the scope fields of the rows and whether the device holds them, one for the whole rows
it may receive, one insert of the rows it now holds and one delete of those it must drop. A device
already at the watermark stops after the third.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, and_, bindparam, select
from sqlalchemy.orm import Session

from mentalspace_desktop.hub import db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.errors import HubError
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.hub.services.scopes import SCOPE_FIELDS, DeviceScopes, staff_here, staff_key
from mentalspace_desktop.store.sync_models import ChangeLog, DeviceHolding, HubCounter, HubSetting
from mentalspace_desktop.sync.protocol import PULL_PAGE_SIZE, Cursor, PulledRow
from mentalspace_desktop.sync.tables import TABLES

CHUNK = 500  # ids per query (SQLite's IN list stays under its parameter limit)


@dataclass
class Page:
    rows: list[PulledRow] = field(default_factory=list)
    drops: list[dict[str, str]] = field(default_factory=list)
    cursor: str = ""
    more: bool = False
    epoch: str = ""
    watermark: int = 0

    def as_json(self) -> dict[str, Any]:
        """The page as the protocol carries it (``PullOut``)."""
        return {
            "rows": self.rows,
            "drops": self.drops,
            "cursor": self.cursor,
            "more": self.more,
            "epoch": self.epoch,
            "watermark": self.watermark,
        }


def read_cursor(text: str, epoch: str, scope: str = "") -> Cursor:
    """The device's cursor; "" is the start (a full snapshot). Another epoch's cursor answers 409;
    so does one issued when other staff (or roles) worked on the device (``scopes.staff_key``)."""
    if not text:
        return Cursor(epoch, 0, scope)
    try:
        cursor = Cursor.decode(text)
    except ValueError:
        raise HubError(400, "The sync position sent is not one this hub issued.", "bad_cursor") from None
    if cursor.epoch != epoch:
        raise HubError(
            409,
            "The hub was restored or its rules changed; take a fresh copy after pushing your changes.",
            "epoch_changed",
            epoch=epoch,
        )
    if cursor.scope and cursor.scope != scope:  # a cursor from before fingerprints: taken as it is
        raise HubError(
            409,
            "Who works on this workstation, or their roles, changed: it takes a fresh copy of what it "
            "may hold after pushing its changes.",
            "scope_changed",
            epoch=epoch,
        )
    return cursor


# Statements built once, values passed as parameters: building a statement costs more than running
# a small one, and a pull runs several.
_settings, _counter, _log = HubSetting.__table__.c, HubCounter.__table__.c, ChangeLog.__table__.c
_HOLDING = cast(Table, DeviceHolding.__table__)
_EPOCH_AND_WATERMARK = select(
    select(_settings.value).where(_settings.key == db.EPOCH).scalar_subquery(), _counter.value
).where(_counter.name == repo.SEQ)
_ENTRIES = (
    select(_log.seq, _log.table_name, _log.row_id)
    .where(_log.seq > bindparam("after"), _log.seq <= bindparam("watermark"))
    .order_by(_log.seq)
    .limit(bindparam("count"))
)


@cache
def _probe_statement(table: Table, postgres: bool) -> Select[Any]:
    """The fields a scope check reads of some rows, and whether the device holds each."""
    probed = [c for c in table.columns if c.key == "id" or c.key in SCOPE_FIELDS]
    return (
        select(*probed, _HOLDING.c.row_id)
        .outerjoin(
            _HOLDING,
            and_(
                _HOLDING.c.device_id == bindparam("device_id"),
                _HOLDING.c.table_name == bindparam("table_name"),
                _HOLDING.c.row_id == table.c.id,
            ),
        )
        .where(repo.ids_among(table.c.id, "ids", postgres))
    )


@cache
def _rows_statement(table: Table, postgres: bool) -> Select[Any]:
    return select(table).where(repo.ids_among(table.c.id, "ids", postgres))


@cache
def _held_statement(postgres: bool) -> Select[Any]:
    return select(_HOLDING.c.row_id).where(
        _HOLDING.c.device_id == bindparam("device_id"),
        _HOLDING.c.table_name == bindparam("table_name"),
        repo.ids_among(_HOLDING.c.row_id, "ids", postgres),
    )


def _epoch_and_watermark(session: Session) -> tuple[str, int]:
    """The epoch and the watermark (``repository.committed_seq``) in one statement."""
    found = session.execute(_EPOCH_AND_WATERMARK).one()
    return str(found[0] or ""), int(found[1])


def pull(
    session: Session,
    principal: Principal | Callable[[Session], Principal],
    cursor_text: str,
    limit: int = PULL_PAGE_SIZE,
) -> Page:
    """One page for the device. ``principal`` may be a check that names the caller: it then runs in
    the page's own transaction (a revoked device is refused before anything is read)."""
    limit = max(1, min(limit, PULL_PAGE_SIZE))
    with session.begin():
        if not isinstance(principal, Principal):
            principal = principal(session)
        epoch, watermark = _epoch_and_watermark(session)
        staff = staff_here(session, principal.device_id)
        scope = staff_key(staff)
        cursor = read_cursor(cursor_text, epoch, scope)
        page = Page(epoch=epoch, watermark=watermark)
        if cursor.seq >= watermark:  # nothing new: the usual answer to a device that is up to date
            page.cursor = Cursor(epoch, cursor.seq, scope).encode()
            return page
        entries = session.execute(
            _ENTRIES, {"after": cursor.seq, "watermark": watermark, "count": limit + 1}
        ).all()
        page.more = len(entries) > limit
        entries = entries[:limit]
        next_seq = entries[-1][0] if page.more else max(watermark, cursor.seq)
        page.cursor = Cursor(epoch, next_seq, scope).encode()
        pulled = _pulled_tables()
        latest: dict[tuple[str, str], int] = {}
        for seq, table, row_id in entries:
            if table in pulled:
                key = (table, row_id)
                latest.pop(key, None)
                latest[key] = seq  # keeps last-seen order
        if latest:
            _fill(session, principal, list(latest), page, staff)
    return page


def _pulled_tables() -> frozenset[str]:
    return frozenset(name for name, spec in TABLES.items() if spec.pulled)


@dataclass(frozen=True)
class _Codec:
    """How one table's rows become protocol JSON (``store.outbox.jsonable`` on every value)."""

    names: tuple[str, ...]
    dated: tuple[int, ...]  # positions whose values may be dates or instants (ISO-8601 strings)


def _codec(table: Table) -> _Codec:
    return _codec_of(tuple(table.columns))


@cache
def _codec_of(columns: tuple[Any, ...]) -> _Codec:
    dated = []
    for index, column in enumerate(columns):
        try:
            kind = column.type.python_type
        except NotImplementedError:
            dated.append(index)  # unknown: check the value itself
            continue
        if issubclass(kind, date):  # datetime is a date too
            dated.append(index)
    return _Codec(tuple(c.key for c in columns), tuple(dated))


class _Probe(dict[str, Any]):
    """The few fields of a row that a scope check reads; notes when the check asks for another."""

    missed = False

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            self.missed = True
        return super().get(key, default)

    def __getitem__(self, key: str) -> Any:
        if key not in self:
            self.missed = True
        return super().__getitem__(key)


def _json_values(values: list[Any], dated: tuple[int, ...]) -> list[Any]:
    for index in dated:
        value = values[index]
        if isinstance(value, datetime | date):
            values[index] = value.isoformat()
    return values


def _fill(
    session: Session, principal: Principal, keys: list[tuple[str, str]], page: Page, staff: list[tuple[str, str]]
) -> None:
    """Rows and drops for ``keys`` (table, id), in that order; records what the device now holds.

    Most entries of a busy hub's log are other caseloads' rows, so each table is read twice: first
    the fields the scope check reads (``scopes.SCOPE_FIELDS``) and whether the device holds the row,
    then whole rows only for those that may be sent, which the check then passes on in full.
    """
    device_id = principal.device_id
    postgres = repo.on_postgresql(session)
    scopes = DeviceScopes(session, device_id=device_id, user_id=principal.user_id, role=principal.role, staff=staff)
    by_table: dict[str, list[str]] = {}
    for table, row_id in keys:
        by_table.setdefault(table, []).append(row_id)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    held: set[tuple[str, str]] = set()
    for table, ids in by_table.items():
        model = repo.model_for(table)
        if model is None:
            continue
        table_: Table = model.__table__
        probe_statement = _probe_statement(table_, postgres)
        probe_codec = _codec_of(tuple(probe_statement.selected_columns)[:-1])
        codec = _codec(table_)
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            # Core rows, not ORM objects: nothing here needs the identity map or the relationships
            # (clients load insurances and consents eagerly), and a page holds up to 1,000 rows.
            found = session.execute(
                probe_statement,
                {"device_id": device_id, "table_name": table, "ids": repo.id_values(chunk, postgres)},
            ).all()
            probes: dict[tuple[str, str], _Probe] = {}
            for record in found:
                values = _json_values(list(record), probe_codec.dated)
                probe = _Probe(zip(probe_codec.names, values[:-1], strict=True))
                key = (table, probe["id"])
                probes[key] = probe
                if values[-1] is not None:
                    held.add(key)
            missing = sorted(set(chunk) - {row_id for _, row_id in probes})
            if missing:  # rows no longer on the hub at all: a device holding one drops it
                held.update(
                    (table, rid)
                    for rid in session.scalars(
                        _held_statement(postgres),
                        {"device_id": device_id, "table_name": table, "ids": repo.id_values(missing, postgres)},
                    )
                )
            scopes.look_up_clients(dict(probes))
            wanted = []
            for key, probe in probes.items():
                probe.missed = False
                if scopes.outgoing(table, probe) is not None or probe.missed:
                    wanted.append(key[1])
            if not wanted:
                continue
            found = session.execute(_rows_statement(table_, postgres), {"ids": repo.id_values(wanted, postgres)}).all()
            for record in found:
                row = dict(zip(codec.names, _json_values(list(record), codec.dated), strict=True))
                rows[(table, row["id"])] = row
    new_holdings: dict[str, list[str]] = {}
    drops: dict[str, list[str]] = {}
    for key in keys:
        table, row_id = key
        sent = scopes.outgoing(table, rows.get(key))  # the whole row decides, as it is sent
        if sent is not None:
            page.rows.append(
                {"table": table, "row_id": row_id, "server_seq": int(sent["server_seq"] or 0), "row": sent}
            )
            if key not in held:
                new_holdings.setdefault(table, []).append(row_id)
        elif key in held:
            page.drops.append({"table": table, "row_id": row_id})
            drops.setdefault(table, []).append(row_id)
    for table, row_ids in drops.items():
        repo.release(session, device_id, table, row_ids)
    for table, row_ids in new_holdings.items():
        repo.hold(session, device_id, table, row_ids)
