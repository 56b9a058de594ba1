"""The audit log: append (inside the caller's transaction), filter, export, verify."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.audit_chain import GENESIS, ChainBreak, entry_hash, verify_chain
from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.services.events import AuditDidAppend
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.models import AuditEntry, SyncState, User
from mentalspace_desktop.store.types import utcnow

HEAD_KEY = "audit_head"

WRITE_ACTIONS = frozenset({"create", "update", "discharge", "consent_added", "consent_revoked", "insurance_changed"})


def append(
    session: Session,
    store: Store,
    *,
    user_id: str | None,
    username: str,
    action: str,
    record_type: str,
    record_id: str | None = None,
    client_id: str | None = None,
    summary: str = "",
    at: datetime | None = None,
) -> AuditEntry:
    """Append one entry to this device's chain. Call inside ``store.write()`` so it commits with the data."""
    head = session.get(SyncState, HEAD_KEY)
    seq, prev_hash = (int(head.value.split(":")[0]), head.value.split(":")[1]) if head else (0, GENESIS)
    fields = {
        "id": new_id(),
        "seq": seq + 1,
        "at": (at or utcnow()).replace(microsecond=0),
        "device_id": store.device_id,
        "workstation": store.workstation,
        "user_id": user_id,
        "username": username,
        "action": action,
        "record_type": record_type,
        "record_id": record_id,
        "client_id": client_id,
        "summary": summary,
    }
    digest = entry_hash(_canonical(fields), prev_hash)
    entry = AuditEntry(**fields, prev_hash=prev_hash, hash=digest)
    session.add(entry)
    if head is None:
        session.add(SyncState(key=HEAD_KEY, value=f"{seq + 1}:{digest}"))
    else:
        head.value = f"{seq + 1}:{digest}"
    return entry


def record(user_session: UserSession, session: Session, **fields: object) -> AuditEntry:
    """Append an entry for the signed-in user."""
    actor = user_session.actor
    return append(session, user_session.store, user_id=actor.user_id, username=actor.username, **fields)  # type: ignore[arg-type]


def _canonical(fields: dict[str, object]) -> dict[str, object]:
    at = fields["at"]
    return {**fields, "at": at.isoformat() if isinstance(at, datetime) else at}


def _as_chain_dict(entry: AuditEntry) -> dict[str, object]:
    d = {name: getattr(entry, name) for name in ("id", "seq", "device_id", "workstation", "user_id", "username",
                                                   "action", "record_type", "record_id", "client_id", "summary",
                                                   "prev_hash", "hash")}
    d["at"] = entry.at.replace(microsecond=0).isoformat()
    return d


def verify_store(store: Store) -> ChainBreak | None:
    """The first broken link of this device's audit chain, or None when intact."""
    with store.read() as s:
        rows = s.scalars(
            select(AuditEntry).where(AuditEntry.device_id == store.device_id).order_by(AuditEntry.seq)
        )
        head_row = s.get(SyncState, HEAD_KEY)
        head = (int(head_row.value.split(":")[0]), head_row.value.split(":")[1]) if head_row else None
        return verify_chain((_as_chain_dict(e) for e in rows), head)


@dataclass(frozen=True)
class AuditFilter:
    since: datetime | None = None
    until: datetime | None = None
    username: str | None = None
    action: str | None = None
    client_id: str | None = None
    text: str | None = None
    limit: int = 2000


EXPORT_COLUMNS = ("seq", "at", "username", "action", "record_type", "record_id", "client_id", "workstation",
                  "device_id", "summary", "hash")


class AuditService:
    """The audit screen's use cases: administrators see everything, supervisors their team's entries."""

    def __init__(self, session: UserSession) -> None:
        self.session = session

    def _query(self, flt: AuditFilter) -> Select[AuditEntry]:
        require_any(self.session, Resource.AUDIT_LOG, Action.READ)
        q = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.seq.desc())
        if self.session.actor.role.value == "supervisor":
            team = set(self.session.team_clinician_ids()) | {self.session.actor.user_id}
            q = q.where(AuditEntry.user_id.in_(team))
        if flt.since:
            q = q.where(AuditEntry.at >= flt.since)
        if flt.until:
            q = q.where(AuditEntry.at < flt.until)
        if flt.username:
            q = q.where(AuditEntry.username == flt.username)
        if flt.action:
            q = q.where(AuditEntry.action == flt.action)
        if flt.client_id:
            q = q.where(AuditEntry.client_id == flt.client_id)
        if flt.text:
            q = q.where(AuditEntry.summary.icontains(flt.text) | AuditEntry.record_id.icontains(flt.text))
        return q.limit(flt.limit)

    def entries(self, flt: AuditFilter) -> list[AuditEntry]:
        with self.session.store.read() as s:
            return list(s.scalars(self._query(flt)))

    def actions(self) -> list[str]:
        with self.session.store.read() as s:
            return sorted(s.scalars(select(AuditEntry.action).distinct()))

    def usernames(self) -> list[str]:
        with self.session.store.read() as s:
            return sorted(s.scalars(select(User.username)))

    def export_csv(self, flt: AuditFilter, out: Path) -> int:
        """Write the filtered entries to ``out``; the export itself is audited."""
        rows = self.entries(flt)
        write_csv(out, EXPORT_COLUMNS, ([getattr(e, c) for c in EXPORT_COLUMNS] for e in rows))
        with self.session.store.write(self.session.actor.user_id) as s:
            record(self.session, s, action="export", record_type="audit_log", summary=f"{len(rows)} entries to CSV")
        self.session.events.emit(AuditDidAppend())
        return len(rows)


def write_csv(out: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    tmp = out.with_name(out.name + ".part")
    with tmp.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, datetime) else v) for v in row])
    tmp.replace(out)


