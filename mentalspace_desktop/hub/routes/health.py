"""Liveness for load balancers and the desktop's "test connection" button (no sign-in needed)."""

from __future__ import annotations

from fastapi import APIRouter

from mentalspace_desktop import __version__
from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.deps import Hub
from mentalspace_desktop.hub.schemas import HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=HealthOut)
def health(hub: Hub) -> HealthOut:
    with db.read_session(hub.engine) as session:
        epoch = db.get_setting(session, db.EPOCH) or ""
    return HealthOut(status="ok", epoch=epoch, version=__version__)
