"""Hub-only tables added after migration 0003 (empty on desktops, like the other hub tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.store.models import Base
from mentalspace_desktop.store.types import UTCDateTime


class HubLoginAttempt(Base):
    """Failed hub sign-ins per user, so the desktop's lockout (5 failures, 15 minutes) holds on the hub.

    Kept apart from ``users`` because it is not synced: a device's lock file and the hub's counter
    are separate doors to the same account, each locking on its own failures.
    """

    __tablename__ = "hub_login_attempts"

    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
