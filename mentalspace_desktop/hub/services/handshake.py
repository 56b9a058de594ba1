"""Version and clock check before a device syncs: an out-of-range client is told to update."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from mentalspace_desktop.hub import db
from mentalspace_desktop.hub.errors import HubError
from mentalspace_desktop.store import migrate
from mentalspace_desktop.store.types import utcnow
from mentalspace_desktop.sync.protocol import (
    CLOCK_SKEW_WARNING_SECONDS,
    MIN_APP_VERSION,
    MIN_PROTOCOL_VERSION,
    PROTOCOL_VERSION,
    version_tuple,
)


@dataclass(frozen=True)
class Handshake:
    protocol: int
    schema: str
    epoch: str
    server_time: datetime
    clock_skew_seconds: float
    warnings: list[str]


def _update(detail: str) -> HubError:
    return HubError(426, detail, "update_required", min_app_version=MIN_APP_VERSION)


def handshake(
    session: Session, *, protocol: int, schema: str, app_version: str, device_time: datetime | None
) -> Handshake:
    """Refuse clients the hub cannot serve safely; report the device's clock skew (never used for order)."""
    if protocol < MIN_PROTOCOL_VERSION or version_tuple(app_version or "0") < version_tuple(MIN_APP_VERSION):
        raise _update(
            f"This version of MentalSpace Desktop is too old for the practice's hub. Please update "
            f"MentalSpace Desktop to version {MIN_APP_VERSION} or later, then sync again."
        )
    if protocol > PROTOCOL_VERSION or schema not in migrate.known_revisions():
        raise _update(
            "This version of MentalSpace Desktop is newer than the practice's hub. Ask your "
            "administrator to update the hub (MentalSpace hub) before this workstation syncs."
        )
    now = utcnow()
    skew = 0.0
    warnings: list[str] = []
    if device_time is not None:
        stamp = device_time if device_time.tzinfo else device_time.replace(tzinfo=UTC)
        skew = (stamp - now).total_seconds()
        if abs(skew) > CLOCK_SKEW_WARNING_SECONDS:
            warnings.append(
                f"This computer's clock is {_duration(abs(skew))} "
                f"{'ahead of' if skew > 0 else 'behind'} the hub's. Set the correct time: "
                "times recorded here (for example in the audit log) will be off."
            )
    with session.begin():
        epoch = db.get_setting(session, db.EPOCH) or ""
    return Handshake(PROTOCOL_VERSION, migrate.head_revision(), epoch, now, skew, warnings)


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"about {round(seconds / 86400)} days"
    if seconds >= 86400 - 3600:
        return "about a day" if seconds < 1.5 * 86400 else "more than a day"
    if seconds >= 2 * 3600:
        return f"about {round(seconds / 3600)} hours"
    return f"about {max(1, round(seconds / 60))} minutes"
