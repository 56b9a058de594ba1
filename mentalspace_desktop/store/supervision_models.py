"""The supervision log: sessions a supervisor held with an associate, signed by the supervisor.

Georgia counts an associate's supervision hours per month (LPC-Associate 2 h, LMSW 4 h by default,
practice settings in ``domain/compliance.py``); only signed sessions count. The row is synced and
registered in ``sync/tables.py`` under the supervision resource with the supervisee as its
provider, so an associate's workstation receives their own sessions and a supervisor's their team's.
A signed session never changes (``signed_at`` is the table's signed field).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.store.models import Base, Synced
from mentalspace_desktop.store.types import UTCDateTime


class SupervisionSession(Synced, Base):
    """One supervisee's part in one supervision session; a group session has a row per supervisee."""

    __tablename__ = "supervision_sessions"
    __table_args__ = (Index("ix_supervision_sessions_supervisee_held_on", "supervisee_id", "held_on"),)

    supervisor_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    supervisee_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    held_on: Mapped[date] = mapped_column(Date)  # the practice's calendar day
    minutes: Mapped[int] = mapped_column(Integer)  # whole minutes: hours are shown, never stored as floats
    kind: Mapped[str] = mapped_column(String(10))  # individual, group
    topics: Mapped[str] = mapped_column(Text, default="")  # sealed: supervision discusses clients
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
