"""Alerts and performance goals: synced rows about one clinician (or the whole practice).

An alert is raised by the alert job (the hub's, or the app's in solo mode) and travels to whoever may
see the clinician it is about — the clinician, their supervisor, the administrators (``sync/tables.py``
scopes it by ``user_id``). People only acknowledge or resolve it; the job opens, re-grades and
auto-resolves. ``condition_key`` names the condition, so one condition has one open alert.

A goal is a target for one clinician and one metric over a period, set by their supervisor or an
administrator; whether it is active, achieved or missed is computed, never stored.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.store.models import Base, Synced
from mentalspace_desktop.store.types import UTCDateTime


class Alert(Synced, Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_open_key", "condition_key", "resolved_at"),)

    condition_key: Mapped[str] = mapped_column(String(120))
    alert_type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(10))  # info, warning, critical
    # The clinician it is about (None: the whole practice, seen by administrators only).
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id"), index=True)
    audience: Mapped[str] = mapped_column(String(20), default="clinician")  # clinician, supervisor, administrator
    title: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    record_type: Mapped[str | None] = mapped_column(String(20))  # note, client, user, clinician
    record_id: Mapped[str | None] = mapped_column(String(36))
    section: Mapped[str | None] = mapped_column(String(20))  # the part of the record that fixes it
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(36))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(36))  # None with resolved_at: it cleared by itself
    resolution: Mapped[str | None] = mapped_column(String(300))


class PerformanceGoal(Synced, Base):
    __tablename__ = "performance_goals"

    clinician_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    metric_id: Mapped[str] = mapped_column(String(60))
    target: Mapped[float] = mapped_column(Float)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(36))
    note: Mapped[str] = mapped_column(String(300), default="")
