"""The hub's copy of every device's sync runs, for the administrator's sync log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.store.sync_models import Device, SyncRun
from mentalspace_desktop.store.types import utcnow

FIELDS = (
    "id",
    "device_id",
    "user_id",
    "started_at",
    "duration_ms",
    "kind",
    "rows_new",
    "rows_updated",
    "rows_unchanged",
    "rows_dropped",
    "pushed",
    "rejected",
    "conflicts",
    "ok",
    "error",
)


def record(session: Session, principal: Principal, run: dict[str, Any]) -> dict[str, Any]:
    """Store one run reported by the calling device; a resent run (same id) is kept once."""
    with session.begin():
        run_id = run.get("id") or new_id()
        existing = session.get(SyncRun, run_id)
        if existing is not None:
            return _view(existing)
        values = {k: v for k, v in run.items() if k in FIELDS and k not in ("id", "device_id", "user_id")}
        values["started_at"] = values.get("started_at") or utcnow()
        row = SyncRun(id=run_id, device_id=principal.device_id, user_id=principal.user_id, **values)
        session.add(row)
        session.flush()
        return _view(row)


def runs(session: Session, principal: Principal, *, limit: int = 200) -> list[dict[str, Any]]:
    """Administrators see every device's runs; others the runs of their own devices."""
    with session.begin():
        stmt = select(SyncRun).order_by(SyncRun.started_at.desc()).limit(max(1, min(limit, 1000)))
        if principal.role is not Role.ADMIN:
            own = select(Device.id).where(Device.enrolled_by == principal.user_id)
            stmt = stmt.where(or_(SyncRun.user_id == principal.user_id, SyncRun.device_id.in_(own)))
        return [_view(r) for r in session.scalars(stmt)]


def _view(run: SyncRun) -> dict[str, Any]:
    return {k: getattr(run, k) for k in FIELDS}
