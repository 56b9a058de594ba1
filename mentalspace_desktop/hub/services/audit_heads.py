"""The hub as witness of every workstation's audit chain.

Each workstation's audit log is a hash chain, but its own store (which every staff password opens)
cannot be its only anchor. As audit entries arrive the hub keeps each device's chain head (newest
entry number and hash). A pushed entry must continue that head exactly: the next number, the
previous entry's hash, and a hash that matches its own fields under the pushing device's id (the hub
stamps the device id, so nobody can push entries as another workstation). Anything else — an entry
that renumbers, replaces or skips entries the hub already holds — is refused and recorded as an
alert, and the chain stays where it was: a rewritten local log can never replace the hub's copy.
The desktop records the newest entry the hub acknowledged, and ``audit verify`` checks the local log
against it.

Pushes from one device are serialised on its device row (``push``), so heads need no lock of their own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.audit_chain import GENESIS, entry_hash
from mentalspace_desktop.store.models import AuditEntry
from mentalspace_desktop.store.sync_models import AuditChainAlert, AuditChainHead
from mentalspace_desktop.store.types import utcnow


def admit(session: Session, device_id: str, entry_id: str, values: dict[str, Any],
          held: dict[str, Any] | None = None) -> str | None:
    """Check a pushed audit entry against the device's chain head and advance it; or refuse, saying why.

    ``held`` is the hub's copy of an entry with this id: the same entry sent again is fine (the push
    answers it as a duplicate), other contents under its id are a rewrite. A refusal is recorded
    (``AuditChainAlert``) in the push's transaction and answered to the device as a rejection, so
    the workstation sees it too.
    """
    if held is not None:
        if all(held.get(k) == v for k, v in values.items()):
            return None
        reason: str | None = (f"audit entry {held.get('seq')} is already on the hub with other contents: the "
                              "workstation's audit log was rewritten. The hub keeps its copy")
        session.add(AuditChainAlert(device_id=device_id, entry_id=entry_id, seq=held.get("seq"), reason=reason))
        return reason
    head = session.get(AuditChainHead, device_id) or _head_from_log(session, device_id)
    reason = _problem(head, device_id, entry_id, values)
    if reason is not None:
        seq = values.get("seq")
        session.add(AuditChainAlert(device_id=device_id, entry_id=entry_id,
                                    seq=seq if isinstance(seq, int) else None, reason=reason))
        return reason
    if head is None:
        head = AuditChainHead(device_id=device_id)
        session.add(head)
    head.seq, head.hash, head.updated_at = int(values["seq"]), str(values["hash"]), utcnow()
    return None


def _head_from_log(session: Session, device_id: str) -> AuditChainHead | None:
    """A chain whose entries reached the hub before it kept heads: its newest entry is the head."""
    newest = session.execute(select(AuditEntry.seq, AuditEntry.hash).where(AuditEntry.device_id == device_id)
                             .order_by(AuditEntry.seq.desc()).limit(1)).first()
    if newest is None:
        return None
    head = AuditChainHead(device_id=device_id, seq=int(newest[0]), hash=str(newest[1]), updated_at=utcnow())
    session.add(head)
    return head


def _problem(head: AuditChainHead | None, device_id: str, entry_id: str, values: dict[str, Any]) -> str | None:
    seq, prev_hash, digest = values.get("seq"), values.get("prev_hash"), values.get("hash")
    if not isinstance(seq, int) or not isinstance(prev_hash, str) or not isinstance(digest, str):
        return "an audit entry must carry its number and hashes"
    held_seq, held_hash = (head.seq, head.hash) if head is not None else (0, GENESIS)
    if seq <= held_seq:
        return (f"audit entry {seq} of this workstation is already on the hub with other contents: the "
                "workstation's audit log was rewritten. The hub keeps its copy")
    if seq != held_seq + 1:
        return (f"audit entry {seq} arrived after entry {held_seq}: the entries in between are missing from "
                "this workstation's audit log")
    if prev_hash != held_hash:
        return (f"audit entry {seq} does not follow entry {held_seq} as the hub holds it: the workstation's "
                "audit log was rewritten")
    fields = {**values, "id": entry_id, "device_id": device_id, "at": _canonical_at(values.get("at"))}
    if entry_hash(fields, prev_hash) != digest:
        return f"audit entry {seq} does not match its own hash: it was changed after it was written"
    return None


def _canonical_at(value: Any) -> Any:
    """The entry's time as the workstation hashed it (UTC, whole seconds, ISO 8601)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.astimezone(UTC).replace(microsecond=0).isoformat()
    return value
