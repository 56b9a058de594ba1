"""Report e-mails the practice owes and what became of each: a failed send is kept and tried again,
never lost silently.

Local to the database that sends them (the hub in practice mode, the workstation in solo mode); not
synced. One row per recipient, report and period: the unique key is what makes a second runner, a
retry or a restart send a week's report once.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Base
from mentalspace_desktop.store.types import UTCDateTime


class ReportEmail(Base):
    __tablename__ = "report_emails"
    __table_args__ = (UniqueConstraint("report", "recipient_id", "period_start"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    report: Mapped[str] = mapped_column(String(30))  # team_report
    recipient_id: Mapped[str] = mapped_column(String(36))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10))  # pending, sent, failed (gave up)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(300))  # the server's words, never the report
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
