"""Charting tables: templates, note versions and comments, diagnoses, plans, safety plans, attachments.

Every text a clinician writes about a client is stored sealed (``store/clinical_seal.py``): the
columns named ``content``, ``text``, ``notes``, ``reason`` and ``data`` below hold ``sealed:v1:…``
values, never clear text. Rows that hang off a client repeat ``client_id`` so the hub decides who may
hold them from the row alone. Imported by ``store/models.py`` so they register on the same metadata.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mentalspace_desktop.store.models import Base, Synced
from mentalspace_desktop.store.types import UTCDateTime


class NoteTemplate(Synced, Base):
    """One version of a note type's template. Editing a template adds a version; notes keep theirs."""

    __tablename__ = "note_templates"
    __table_args__ = (UniqueConstraint("note_type", "version"),)

    note_type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    fields: Mapped[str] = mapped_column(Text)  # JSON list of fields (domain/charting/templates.py)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # the version new notes use


class NoteVersion(Synced, Base):
    """A saved version of a note's content, kept for the history view; never changed once written."""

    __tablename__ = "note_versions"
    __table_args__ = (Index("ix_note_versions_note_number", "note_id", "number"),)

    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id"))
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)  # sealed JSON {field: text}
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime)
    saved_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(20))  # autosave, save, sign, cosign, return


class NoteComment(Synced, Base):
    """A supervisor's comment on a note in review (and the words of a return or co-signature)."""

    __tablename__ = "note_comments"

    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(12))  # comment, return, cosign
    text: Mapped[str] = mapped_column(Text)  # sealed


class Diagnosis(Synced, Base):
    """An entry on the client's problem list. The code and its public description are not sealed
    (billing reads them); the clinician's own words about it are."""

    __tablename__ = "diagnoses"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    code: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(300))
    onset_on: Mapped[date | None] = mapped_column(Date)
    added_on: Mapped[date] = mapped_column(Date)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    notes: Mapped[str] = mapped_column(Text, default="")  # sealed free text
    added_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class NoteDiagnosis(Synced, Base):
    """A diagnosis addressed in a note (what a claim for that session will carry)."""

    __tablename__ = "note_diagnoses"
    __table_args__ = (UniqueConstraint("note_id", "diagnosis_id"),)

    note_id: Mapped[str] = mapped_column(ForeignKey("notes.id"))
    diagnosis_id: Mapped[str] = mapped_column(ForeignKey("diagnoses.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    rank: Mapped[int] = mapped_column(Integer, default=1)


class TreatmentPlan(Synced, Base):
    """Problems, goals, measurable objectives and interventions; immutable once signed."""

    __tablename__ = "treatment_plans"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    review_due_on: Mapped[date] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text)  # sealed JSON (domain/charting/plans.py)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft, signed, superseded
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str | None] = mapped_column(String(64))


class PlanReview(Synced, Base):
    """A signed review of a treatment plan; it sets the next review date."""

    __tablename__ = "plan_reviews"

    plan_id: Mapped[str] = mapped_column(ForeignKey("treatment_plans.id"), index=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    reviewed_on: Mapped[date] = mapped_column(Date)
    next_review_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)  # sealed summary of progress
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str | None] = mapped_column(String(64))


class SafetyPlan(Synced, Base):
    """A Stanley-Brown safety plan; immutable once signed (a new plan replaces it)."""

    __tablename__ = "safety_plans"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    author_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    content: Mapped[str] = mapped_column(Text)  # sealed JSON {section: [lines]}
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft, signed
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signed_by: Mapped[str | None] = mapped_column(ForeignKey("users.id"))
    content_hash: Mapped[str | None] = mapped_column(String(64))


class RiskFlag(Synced, Base):
    """A client flagged at risk: a safety plan is then required and the chart header says so."""

    __tablename__ = "risk_flags"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    flagged_on: Mapped[date] = mapped_column(Date)
    cleared_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")  # sealed
    flagged_by: Mapped[str] = mapped_column(ForeignKey("users.id"))


class Attachment(Synced, Base):
    """A document (PDF, image) kept inside the encrypted store, its bytes sealed like any clinical text."""

    __tablename__ = "attachments"

    client_id: Mapped[str] = mapped_column(ForeignKey("clients.id"), index=True)
    note_id: Mapped[str | None] = mapped_column(ForeignKey("notes.id"))
    title: Mapped[str] = mapped_column(Text)  # sealed: a file name can say what it is about
    media_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    added_on: Mapped[date] = mapped_column(Date)
    added_by: Mapped[str] = mapped_column(ForeignKey("users.id"))
    data: Mapped[str] = mapped_column(Text)  # sealed base64 of the bytes
