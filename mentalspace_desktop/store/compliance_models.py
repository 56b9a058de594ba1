"""Compliance runs and what each found: kept so a report shows what was found when, and by whom.

Local to the store that ran them (a workstation in solo mode, the hub's nightly job in practice
mode); not synced: every run is recomputed from the synced records themselves.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.store.models import Base
from mentalspace_desktop.store.types import UTCDateTime


class ComplianceRun(Base):
    __tablename__ = "compliance_runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ran_by: Mapped[str | None] = mapped_column(String(36))  # None: the nightly job
    scope: Mapped[str] = mapped_column(String(10))  # practice, team
    summary: Mapped[str] = mapped_column(Text)  # JSON {rule: one line}


class ComplianceFinding(Base):
    __tablename__ = "compliance_findings"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("compliance_runs.id"), index=True)
    rule: Mapped[str] = mapped_column(String(40))
    stage: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))  # words: "Client MS-7K3Q-9D2F", a note's date
    record_type: Mapped[str] = mapped_column(String(20))
    record_id: Mapped[str] = mapped_column(String(36))
    responsible_user_id: Mapped[str | None] = mapped_column(String(36))
    detail: Mapped[str] = mapped_column(String(300))
