"""A store restored from a backup continues where the hub's copy of this workstation ends.

The hub may hold work this workstation did after the backup was taken: changes under sequence
numbers the restored store will use again (``outbox_reader.renumber_after`` moves its waiting work
after them) and audit entries under chain numbers it will use again. An audit chain must not fork:
the restored store takes back its own entries from the hub and re-links the entries written since
the restore — which have never left this workstation — after them, so its chain and the hub's are
one, with no gap and no number used twice.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from mentalspace_desktop.domain.audit_chain import entry_hash
from mentalspace_desktop.store import signing
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import AuditEntry, OutboxEntry, SyncState
from mentalspace_desktop.store.outbox import APPLYING_REMOTE, jsonable
from mentalspace_desktop.sync.apply import convert
from mentalspace_desktop.sync.client import HubClient

log = logging.getLogger(__name__)

AUDIT_HEAD = "audit_head"  # services/audit.py keeps the chain's head under this key ("seq:hash")
PENDING = "pending"
AUDIT_PAGE = 2000  # as many as the hub sends at once (hub/services/devices.AUDIT_PAGE)


def _unsent_entries(store: Store) -> tuple[list[AuditEntry], int]:
    """This device's audit entries still waiting to be pushed (in chain order), and the last number
    of the chain before them."""
    with store.read() as s:
        waiting = set(s.scalars(select(OutboxEntry.row_id).where(OutboxEntry.table_name == "audit_log",
                                                                 OutboxEntry.status == PENDING)))
        mine = list(s.scalars(select(AuditEntry).where(AuditEntry.device_id == store.device_id)
                              .order_by(AuditEntry.seq)))
        s.expunge_all()
    unsent = [e for e in mine if e.id in waiting]
    if not unsent:
        return [], (mine[-1].seq if mine else 0)
    return unsent, unsent[0].seq - 1


def continue_audit_chain(store: Store, client: HubClient) -> int:
    """Take back this workstation's audit entries the hub holds beyond this store's chain, and re-link
    the entries written here since the restore after them. Returns how many entries were re-linked."""
    unsent, base = _unsent_entries(store)
    theirs: list[dict[str, Any]] = []
    while True:
        page = client.own_audit(int(theirs[-1]["seq"]) if theirs else base)
        theirs.extend(page)
        if len(page) < AUDIT_PAGE:
            break
    here = {e.id for e in unsent}
    taken_back = [row for row in theirs if row.get("id") not in here]
    if not taken_back:
        return 0  # the hub has nothing of this chain that this store lacks: no fork
    on_hub = {str(row.get("id")) for row in theirs}
    unsent = [e for e in unsent if e.id not in on_hub]  # written before the backup, pushed since: as they are
    last = theirs[-1]
    top, prev_hash = int(last["seq"]), str(last["hash"])
    with store.write() as s:
        s.info[APPLYING_REMOTE] = True
        local = {e.id: s.get(AuditEntry, e.id) for e in unsent}
        for entry in local.values():  # out of the way of the numbers the hub's entries take back
            assert entry is not None
            entry.seq = -entry.seq
        s.flush()
        s.execute(insert(AuditEntry), [convert(AuditEntry, row) for row in taken_back])
        for offset, original in enumerate(unsent, 1):
            entry = local[original.id]
            assert entry is not None
            entry.seq = top + offset
            entry.prev_hash = prev_hash
            entry.hash = entry_hash(_chained(entry), prev_hash)
            prev_hash = entry.hash
            _rewrite_outbox(s, store, entry)
        head = s.get(SyncState, AUDIT_HEAD)
        value = f"{top + len(unsent)}:{prev_hash}"
        if head is None:
            s.add(SyncState(key=AUDIT_HEAD, value=value))
        else:
            head.value = value
    log.warning("audit chain continued after the hub's entry %d: %d entries taken back, %d re-linked",
                top, len(taken_back), len(unsent))
    return len(unsent)


def _chained(entry: AuditEntry) -> dict[str, Any]:
    """The entry's fields as ``services.audit.append`` hashed them (the instant in whole seconds)."""
    at: datetime = entry.at
    return {"id": entry.id, "seq": entry.seq, "at": at.replace(microsecond=0).isoformat(),
            "device_id": entry.device_id, "workstation": entry.workstation, "user_id": entry.user_id,
            "username": entry.username, "action": entry.action, "record_type": entry.record_type,
            "record_id": entry.record_id, "client_id": entry.client_id, "summary": entry.summary}


def _rewrite_outbox(session: Any, store: Store, entry: AuditEntry) -> None:
    """The waiting outbox entry of a re-linked audit entry carries its new number and hashes.

    Its author's signature covered the old ones, so it is signed again with their key (they wrote it
    here since the restore, signed in). Should their key not be open here, the stale signature is
    dropped and the entry waits for them (sync/signing.py) rather than reaching the hub as altered.
    """
    for waiting in session.scalars(select(OutboxEntry).where(OutboxEntry.table_name == "audit_log",
                                                             OutboxEntry.row_id == entry.id,
                                                             OutboxEntry.status == PENDING)):
        changes = json.loads(waiting.changes)
        row = json.loads(waiting.row or "{}")
        for name in ("seq", "prev_hash", "hash"):
            value = jsonable(getattr(entry, name))
            if name in changes:
                changes[name] = [changes[name][0], value]
            row[name] = value
        waiting.changes = json.dumps(changes, default=str)
        waiting.row = json.dumps(row, default=str)
        signer = signing.signer_for(store.engine, row.get("updated_by"))
        waiting.signature = signer.sign(signing.entry_message(waiting)).encode() if signer is not None else None
