"""Serving a device the change log below the committed watermark, filtered by its user's scope.

A page is every change-log entry after the cursor, up to the watermark (the committed counter, read
first), at most ``limit`` of them; each entry names a row, sent as it is now if the user may read
it. The hub remembers which rows each device holds, so a row that has left the device's scope (a
client reassigned to another clinician) comes back as a drop instead of silently staying.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from mentalspace_desktop.hub import db
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.errors import HubError
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.hub.services.scopes import DeviceScopes
from mentalspace_desktop.store.outbox import jsonable
from mentalspace_desktop.store.sync_models import ChangeLog, DeviceHolding
from mentalspace_desktop.sync.protocol import PULL_PAGE_SIZE, Cursor, PulledRow
from mentalspace_desktop.sync.tables import TABLES


@dataclass
class Page:
    rows: list[PulledRow] = field(default_factory=list)
    drops: list[dict[str, str]] = field(default_factory=list)
    cursor: str = ""
    more: bool = False
    epoch: str = ""
    watermark: int = 0


def read_cursor(text: str, epoch: str) -> Cursor:
    """The device's cursor; "" is the start (a full snapshot). Another epoch's cursor answers 409."""
    if not text:
        return Cursor(epoch, 0)
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
    return cursor


def pull(session: Session, principal: Principal, cursor_text: str, limit: int = PULL_PAGE_SIZE) -> Page:
    limit = max(1, min(limit, PULL_PAGE_SIZE))
    with session.begin():
        epoch = db.get_setting(session, db.EPOCH) or ""
        cursor = read_cursor(cursor_text, epoch)
        watermark = repo.committed_seq(session)
        entries = list(
            session.execute(
                select(ChangeLog.seq, ChangeLog.table_name, ChangeLog.row_id)
                .where(ChangeLog.seq > cursor.seq, ChangeLog.seq <= watermark)
                .order_by(ChangeLog.seq)
                .limit(limit + 1)
            )
        )
        more = len(entries) > limit
        entries = entries[:limit]
        next_seq = entries[-1].seq if more else max(watermark, cursor.seq)
        page = Page(cursor=Cursor(epoch, next_seq).encode(), more=more, epoch=epoch, watermark=watermark)
        latest: dict[tuple[str, str], int] = {}
        for entry in entries:
            spec = TABLES.get(entry.table_name)
            if spec is not None and spec.pulled:
                latest.pop((entry.table_name, entry.row_id), None)
                latest[(entry.table_name, entry.row_id)] = entry.seq  # keeps last-seen order
        _fill(session, principal, list(latest), page)
    return page


def _fill(session: Session, principal: Principal, keys: list[tuple[str, str]], page: Page) -> None:
    scopes = DeviceScopes(session, device_id=principal.device_id, user_id=principal.user_id, role=principal.role)
    by_table: dict[str, list[str]] = {}
    for table, row_id in keys:
        by_table.setdefault(table, []).append(row_id)
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    held: set[tuple[str, str]] = set()
    for table, ids in by_table.items():
        model = repo.model_for(table)
        if model is None:
            continue
        table_ = model.__table__
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            # Core rows, not ORM objects: nothing here needs the identity map or the relationships
            # (clients load insurances and consents eagerly), and a page holds up to 1,000 rows.
            for found in session.execute(select(table_).where(table_.c.id.in_(chunk))).mappings():
                rows[(table, found["id"])] = {key: jsonable(value) for key, value in found.items()}
            held.update(
                (table, rid)
                for rid in session.scalars(
                    select(DeviceHolding.row_id).where(
                        DeviceHolding.device_id == principal.device_id,
                        DeviceHolding.table_name == table,
                        DeviceHolding.row_id.in_(chunk),
                    )
                )
            )
    new_holdings: list[dict[str, str]] = []
    for key in keys:
        table, row_id = key
        row = scopes.outgoing(table, rows.get(key))
        if row is not None:
            page.rows.append(
                {"table": table, "row_id": row_id, "server_seq": int(row["server_seq"] or 0), "row": row}
            )
            if key not in held:
                new_holdings.append({"device_id": principal.device_id, "table_name": table, "row_id": row_id})
        elif key in held:
            page.drops.append({"table": table, "row_id": row_id})
            session.execute(
                delete(DeviceHolding).where(
                    DeviceHolding.device_id == principal.device_id,
                    DeviceHolding.table_name == table,
                    DeviceHolding.row_id == row_id,
                )
            )
    if new_holdings:
        repo.insert_ignore(session, DeviceHolding, new_holdings, ["device_id", "table_name", "row_id"])
