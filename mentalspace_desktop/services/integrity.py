"""Checks an administrator runs on a store: is the audit chain intact, what does the store hold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from mentalspace_desktop.domain.audit_chain import ChainBreak, Finding
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.services.audit import check_store_log, own_anchors, read_anchor
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client, User


@dataclass(frozen=True)
class AuditCheck:
    entries: int  # entries in every chain the store holds
    chains: int
    findings: list[Finding]
    warnings: list[str]
    anchors: list[str]  # where the heads it was checked against were kept, besides the store itself

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def broken(self) -> ChainBreak | None:
        return ChainBreak(self.findings[0].seq, self.findings[0].reason) if self.findings else None


def check_audit_log(session: UserSession, anchor_files: Sequence[Path] = ()) -> AuditCheck:
    """Walk every chain in the store against its heads, the hub's acknowledgement and any anchor
    files or backups given; for those who may read the audit log."""
    require_any(session, Resource.AUDIT_LOG, Action.READ)
    store = session.store
    anchors = [read_anchor(Path(path), session.slots.store_id) for path in anchor_files]
    report = check_store_log(store, anchors)
    with store.read() as s:
        own = own_anchors(s, store)
    witnessed = [a.source for a in own if a.source.startswith("the hub")] + [a.source for a in anchors]
    return AuditCheck(report.entries, report.chains, report.findings, report.warnings, witnessed)


@dataclass(frozen=True)
class StoreCounts:
    clients: int
    users: int


def store_counts(session: UserSession) -> StoreCounts:
    """How many clients and staff the store holds: a quick sanity check after a restore.

    Counts only, no names, so any signed-in role may see them.
    """
    with session.store.read() as s:
        clients = s.scalar(select(func.count()).select_from(Client).where(Client.deleted.is_(False)))
        users = s.scalar(select(func.count()).select_from(User).where(User.deleted.is_(False)))
    return StoreCounts(int(clients or 0), int(users or 0))
