"""Jobs the hub runs on a schedule (see :mod:`mentalspace_desktop.hub.jobs` for who runs them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

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
