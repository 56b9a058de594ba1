"""The newest audit entry the hub acknowledged, kept so ``audit verify`` checks the log against it.

The hub keeps every workstation's chain head as it receives audit entries and refuses any entry
that rewrites what it already holds (``hub/services/audit_heads.py``). When it answers a push with
an audit entry applied (or already held), that entry is witnessed off this workstation: from then on
it must still be in the local log, unchanged, and with it every entry before it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy.orm import Session

from mentalspace_desktop.store.models import OutboxEntry, SyncState

HUB_HEAD_KEY = "audit_hub_head"
_ACKNOWLEDGED = ("done",)


def record_hub_acknowledged(session: Session, entries: Iterable[OutboxEntry]) -> None:
    """After a push: move the acknowledged head to the newest audit entry the hub accepted."""
    best: tuple[int, str] | None = None
    for entry in entries:
        local = session.get(OutboxEntry, entry.device_seq)
        if local is None or local.table_name != "audit_log" or local.status not in _ACKNOWLEDGED:
            continue
        row = json.loads(local.row or "{}")
        seq, digest = row.get("seq"), row.get("hash")
        if isinstance(seq, int) and isinstance(digest, str) and (best is None or seq > best[0]):
            best = (seq, digest)
    if best is None:
        return
    state = session.get(SyncState, HUB_HEAD_KEY)
    current = parse_head(state.value) if state is not None else None
    if current is not None and current[0] >= best[0]:
        return
    if state is None:
        session.add(SyncState(key=HUB_HEAD_KEY, value=f"{best[0]}:{best[1]}"))
    else:
        state.value = f"{best[0]}:{best[1]}"


def parse_head(value: str | None) -> tuple[int, str] | None:
    """A chain head stored as ``seq:hash``, or None when it is missing or unreadable."""
    seq, _, digest = (value or "").partition(":")
    if not seq.isdigit() or len(digest) != 64:
        return None
    return int(seq), digest
