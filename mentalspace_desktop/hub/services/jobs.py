"""Jobs the hub runs on a schedule (see :mod:`mentalspace_desktop.hub.jobs` for who runs them)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete
from sqlalchemy.orm import Session

from mentalspace_desktop.errors import NotFound
from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.services.scheduling import series_job
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


def extend_open_series(session: Session) -> str:
    """Keep open-ended series booked a year ahead (``services/scheduling/series_job.py``).

    Runs with the counter's lock taken first, so no push is numbered in between: the collision checks
    read the schedule as it is, and the new rows are numbered and logged like any push's, reaching
    every workstation in scope. A practice not set up yet has nothing to extend.
    """
    with session.begin():
        repo.lock_writes(session)
        try:
            done = series_job.extend_open_series(session, now=utcnow())
        except NotFound:
            return "the practice is not set up yet"
        writes = [repo.stamp(session, row, op=op, user_id=None, device_id=None) for row, op in done.written]
        session.flush()
        repo.number_writes(session, writes)
    return done.summary()
