"""Hub-only tables added after migration 0003 (empty on desktops, like the other hub tables)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
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


class HubSigningKey(Base):
    """A person's public signing key on one workstation (store/signing.py), learnt at a verified sign-in.

    The hub checks every pushed change against the key of its author on the pushing workstation. A
    person may have several over time (a new one after an administrator reset their password); each
    change names the key it was signed with, so older changes still waiting to be pushed keep
    verifying.
    """

    __tablename__ = "hub_signing_keys"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the 32 raw bytes
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
