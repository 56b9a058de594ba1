"""Checks an administrator runs on a store: is the audit chain intact, what does the store hold."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from mentalspace_desktop.domain.audit_chain import ChainBreak
from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.services.audit import verify_store
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import AuditEntry, Client, User


@dataclass(frozen=True)
class AuditCheck:
    entries: int  # entries in this workstation's chain
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def check_audit_log(session: UserSession) -> AuditCheck:
    """Walk this workstation's audit chain; for those who may read the audit log."""
    require_any(session, Resource.AUDIT_LOG, Action.READ)
    store = session.store
    broken = verify_store(store)
    with store.read() as s:
        count = s.scalar(select(func.count()).select_from(AuditEntry)
                         .where(AuditEntry.device_id == store.device_id))
    return AuditCheck(int(count or 0), broken)


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
