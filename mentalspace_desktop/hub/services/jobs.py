"""Jobs the hub runs on a schedule (see :mod:`mentalspace_desktop.hub.jobs` for who runs them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.db import READONLY
from mentalspace_desktop.services import alerts
from mentalspace_desktop.store.alert_models import Alert
from mentalspace_desktop.store.sync_models import SyncRun
from mentalspace_desktop.store.types import utcnow


def sync_log_retention(session: Session, *, days: int) -> str:
    """Delete sync runs older than ``days``: the sync log is for recent trouble, not an archive."""
    cutoff = utcnow() - timedelta(days=days)
    with session.begin():
        result = cast(
            "CursorResult[Any]", session.execute(delete(SyncRun).where(SyncRun.started_at < cutoff))
        )
        removed = result.rowcount
    return f"removed {removed} sync run(s) older than {days} days"


def generate_alerts(session: Session) -> str:
    """Open, re-grade and resolve alerts from the practice's metrics and compliance findings.

    Reads first (no lock held while metrics are measured), then writes in one transaction that takes
    the hub's write lock before it reads the open alerts: a second run anywhere — another process,
    a retry — waits and then sees this one's alerts, so a condition never gets two. Each write is
    numbered and logged like a push's, so the alerts reach the workstations in scope.
    """
    with session.begin():
        session.connection(execution_options={READONLY: True})  # SQLite: no write lock while measuring
        conditions = alerts.current_conditions(session, now=utcnow())
    writes: list[repo.PendingWrite] = []

    def on_write(row: Alert, op: str) -> None:
        writes.append(repo.stamp(session, row, op=op, user_id=None, device_id=None))

    with session.begin():
        repo.lock_writes(session)
        result = alerts.apply_conditions(session, conditions, now=utcnow(), on_write=on_write)
        repo.number_writes(session, writes)
    return result.line()
