"""How the practice's messages leave: the SMTP server and the Twilio account, secrets included.

Kept where the sending happens and nowhere else: on the hub in practice mode (its database; the
administrator's screen writes it through an administrator-only endpoint that never returns a
secret), in the workstation's encrypted store in solo mode. Never synced (no ``Synced`` mixin, not in
``sync/tables.py``): a password must not travel to every workstation, nor through the outbox.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.store.models import Base
from mentalspace_desktop.store.types import UTCDateTime, utcnow


class MessagingSetting(Base):
    """One transport's settings: ``smtp`` or ``twilio``."""

    __tablename__ = "messaging_settings"

    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    config: Mapped[str] = mapped_column(Text)  # JSON: everything but the secret
    secret: Mapped[str] = mapped_column(Text, default="")  # the SMTP password or the Twilio auth token
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str | None] = mapped_column(String(36))
