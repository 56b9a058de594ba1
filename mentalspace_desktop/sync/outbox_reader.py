"""Reading the outbox for a push, and recording what the hub said about each change.

Entries go out in device-sequence order, a batch at a time. The hub's answer for a batch is written
in one local transaction together with the rows the hub returned, so the store never holds a change
marked done without the hub's version of its row (or the reverse). A rejected change is never
dropped: it stays in the outbox with status ``rejected`` and its reason, for its author to see.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, text, update

from mentalspace_desktop.domain.merge import Outcome
from mentalspace_desktop.store.audit_anchor import record_hub_acknowledged
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import OutboxEntry
from mentalspace_desktop.store.outbox import APPLYING_REMOTE
from mentalspace_desktop.sync import protocol
from mentalspace_desktop.sync.apply import apply_row, pending_map

PENDING = "pending"
DONE = "done"
REJECTED = "rejected"


def to_change(entry: OutboxEntry) -> protocol.Change:
    """The outbox entry as the protocol pushes it."""
    return protocol.Change(
        device_seq=entry.device_seq,
        change_id=entry.change_id,
        table=entry.table_name,
        row_id=entry.row_id,
        op=entry.op,
        base_server_seq=entry.base_server_seq,
        changes={name: list(pair) for name, pair in json.loads(entry.changes).items()},
        schema_version=entry.schema_version,
        author_id=json.loads(entry.row or "{}").get("updated_by"),
        signature=entry.signature,
    )


def pending_batch(store: Store, limit: int = protocol.PUSH_BATCH_SIZE) -> list[OutboxEntry]:
    with store.read() as s:
        return list(s.scalars(select(OutboxEntry).where(OutboxEntry.status == PENDING)
                              .order_by(OutboxEntry.device_seq).limit(limit)))


def pending_count(store: Store) -> int:
    with store.read() as s:
        query = select(func.count()).select_from(OutboxEntry).where(OutboxEntry.status == PENDING)
        return int(s.scalar(query) or 0)


def requeue_after(store: Store, hub_last: int) -> int:
    """Queue again every change numbered after ``hub_last``: the hub lost them (it was restored from
    a backup taken before it received them). A refusal is asked for again too, so the numbers the hub
    receives follow on. Returns how many were queued again."""
    with store.write() as s:
        result = s.execute(update(OutboxEntry)
                           .where(OutboxEntry.device_seq > hub_last, OutboxEntry.status != PENDING)
                           .values(status=PENDING))
        return int(getattr(result, "rowcount", 0) or 0)


def renumber_after(store: Store, hub_last: int) -> int:
    """Give every waiting change (and any the hub lacks) a number after ``hub_last``, in order.

    A store restored from a backup reuses the numbers the hub already holds other changes under (the
    ones made here after the backup). Its waiting work keeps its change ids and its order and takes
    the numbers after the hub's last, so it reaches the hub instead of being taken for a repeat.
    Returns how many changes were renumbered.
    """
    with store.write() as s:
        moving = list(s.scalars(select(OutboxEntry.device_seq)
                                .where(or_(OutboxEntry.status == PENDING, OutboxEntry.device_seq > hub_last))
                                .order_by(OutboxEntry.device_seq)))
        if not moving:
            return 0
        # Out of the way first (negative numbers are never used), then into place: no number is
        # ever held twice, whatever the order SQLite updates rows in.
        s.execute(update(OutboxEntry).where(OutboxEntry.device_seq.in_(moving))
                  .values(device_seq=-OutboxEntry.device_seq), execution_options={"synchronize_session": False})
        for offset, old in enumerate(moving, 1):
            s.execute(update(OutboxEntry).where(OutboxEntry.device_seq == -old)
                      .values(device_seq=hub_last + offset, status=PENDING),
                      execution_options={"synchronize_session": False})
        top = hub_last + len(moving)
        # New writes follow on from the highest number in use (AUTOINCREMENT remembers its own).
        s.execute(text("UPDATE sqlite_sequence SET seq = :top WHERE name = 'outbox' AND seq < :top"),
                  {"top": top})
        s.expire_all()
        return len(moving)


@dataclass
class PushTally:
    pushed: int = 0
    applied: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    rejections: list[tuple[str, str]] = field(default_factory=list)  # (change id, reason)


def record_results(store: Store, entries: Sequence[OutboxEntry], response: dict[str, Any],
                   tally: PushTally) -> None:
    """Mark each pushed entry with its outcome and apply the hub's rows, in one transaction.

    An entry the hub did not answer for stays pending and goes out again with the next push (the
    hub answers ``duplicate`` if it had applied it after all).
    """
    results: list[protocol.Result] = list(response.get("results") or [])
    by_seq = {e.device_seq: e for e in entries}
    by_change = {e.change_id: e for e in entries}
    with store.write() as s:
        s.info[APPLYING_REMOTE] = True
        # One query for the whole batch; the s.get calls below then hit the identity map.
        list(s.scalars(select(OutboxEntry).where(OutboxEntry.device_seq.in_(list(by_seq)))))
        rows: list[tuple[str, protocol.Result]] = []
        for result in results:
            entry = (by_change.get(str(result.get("change_id")))
                     or by_seq.get(int(result.get("device_seq", -1))))
            if entry is None:
                continue
            local = s.get(OutboxEntry, entry.device_seq)
            if local is None or local.status != PENDING:
                continue
            outcome = str(result.get("outcome", ""))
            tally.pushed += 1
            if outcome == Outcome.REJECTED:
                local.status = REJECTED
                local.result_reason = str(result.get("reason") or "refused by the hub")
                tally.rejected += 1
                tally.rejections.append((local.change_id, local.result_reason))
                continue
            local.status = DONE
            local.result_reason = str(result.get("reason") or "") or None
            if outcome == Outcome.CONFLICT:
                tally.conflicts += 1
            elif outcome == Outcome.DUPLICATE:
                tally.duplicates += 1
            else:
                tally.applied += 1
            if result.get("row"):
                rows.append((entry.table_name, result))
        s.flush()  # statuses first: the rows below must not keep these entries' values as "pending"
        record_hub_acknowledged(s, entries)  # the hub now witnesses these audit entries
        pending = pending_map(s)  # once per batch: a large backlog would otherwise be re-read per row
        for table, result in rows:
            row = dict(result["row"] or {})
            apply_row(s, table, str(row.get("id") or ""), row, result.get("server_seq"), pending=pending)


@dataclass(frozen=True)
class Rejection:
    """A change the hub refused, as its author sees it."""

    change_id: str
    table: str
    row_id: str
    op: str
    reason: str
    author_id: str | None
    changes: dict[str, Any]


def rejections(store: Store, *, author_id: str | None = None) -> list[Rejection]:
    """Changes the hub refused, newest first; only those written by ``author_id`` when given."""
    with store.read() as s:
        entries = list(s.scalars(select(OutboxEntry).where(OutboxEntry.status == REJECTED)
                                 .order_by(OutboxEntry.device_seq.desc())))
    found = []
    for e in entries:
        author = json.loads(e.row or "{}").get("updated_by")
        if author_id is not None and author != author_id:
            continue
        found.append(Rejection(e.change_id, e.table_name, e.row_id, e.op, e.result_reason or "",
                               author, json.loads(e.changes)))
    return found
