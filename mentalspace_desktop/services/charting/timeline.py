"""The clinical part of a client's chart timeline, told by the records themselves.

The timeline used to read this workstation's audit log, which is pushed to the hub but never pulled:
a note written on the clinician's laptop, co-signed on the supervisor's desktop or built into the
demo practice never appeared on any other chart. Notes, addenda, signatures, co-signatures,
returns, plans, reviews, safety plans, risk flags, diagnoses and documents carry their own people
and times and travel by sync, so the timeline reads them, as far as the reader's role allows:

- everyone who may open the chart: each note's metadata (type, date, who signed when), never its
  words (the front desk sees "SOAP note of 03/02/2026 signed", nothing more);
- roles that read diagnosis codes: diagnoses added and resolved (code and the public description);
- roles that read the client's clinical records: returns, plans, reviews, safety plans, risk flags
  and documents (without a document's sealed title).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource, allows
from mentalspace_desktop.services.charting.templates import newest_templates
from mentalspace_desktop.services.permissions import client_relation
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import (
    Attachment,
    Diagnosis,
    NoteComment,
    NoteVersion,
    PlanReview,
    RiskFlag,
    SafetyPlan,
    TreatmentPlan,
)
from mentalspace_desktop.store.models import Client, Note, Practice, User

# The audit actions these events stand for: the chart reads them from the records, not the log.
CHARTING_ACTIONS = frozenset({
    "note_created", "note_submitted", "note_signed", "note_cosigned", "note_returned", "addendum_created",
    "addendum_signed", "plan_signed", "plan_reviewed", "safety_plan_signed", "risk_flagged",
    "diagnosis_added", "diagnosis_resolved", "document_added"})


@dataclass(frozen=True)
class ChartEvent:
    at: datetime
    user_id: str | None
    action: str  # one of CHARTING_ACTIONS (services/clients.py words them)
    summary: str


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class _Days:
    """An instant for a record that keeps only a day: the moment it was written when that was the
    same day (a diagnosis added today), else noon of that day in the practice's time zone."""

    def __init__(self, s: Session) -> None:
        practice = s.scalars(select(Practice)).first()
        try:
            self.zone = ZoneInfo(practice.time_zone) if practice and practice.time_zone else ZoneInfo("UTC")
        except (KeyError, ValueError):
            self.zone = ZoneInfo("UTC")

    def at(self, day: date, written: datetime | None) -> datetime:
        if written is not None and _aware(written).astimezone(self.zone).date() == day:
            return _aware(written)
        return datetime.combine(day, time(12), tzinfo=self.zone)


def chart_events(session: UserSession, s: Session, client: Client) -> list[ChartEvent]:
    """Everything charted about the client that this user may know of, in no particular order."""
    role = session.actor.role
    relation = client_relation(session, client.primary_clinician_id)
    clinical = session.clinical is not None and allows(role, Resource.NOTE_CONTENT, Action.READ, relation)
    events: list[ChartEvent] = []
    if allows(role, Resource.NOTE_METADATA, Action.READ, relation):
        events += _note_events(s, client.id, clinical)
    days = _Days(s)
    if allows(role, Resource.DIAGNOSIS_CODES, Action.READ, relation):
        for d in s.scalars(select(Diagnosis).where(Diagnosis.client_id == client.id, Diagnosis.deleted.is_(False))):
            label = f"{d.code} {d.description}"
            events.append(ChartEvent(days.at(d.added_on, d.updated_at), d.added_by, "diagnosis_added", label))
            if d.resolved_on:
                events.append(ChartEvent(days.at(d.resolved_on, d.updated_at), d.updated_by, "diagnosis_resolved",
                                         label))
    if clinical:
        events += _clinical_events(s, client.id, days)
    return events


def _note_events(s: Session, client_id: str, clinical: bool) -> list[ChartEvent]:
    notes = list(s.scalars(select(Note).where(Note.client_id == client_id, Note.deleted.is_(False))))
    names = {t.note_type: t.name for t in newest_templates(s)}
    by_id = {n.id: n for n in notes}
    started: dict[str, tuple[datetime, str]] = {}
    returns: list[NoteComment] = []
    if clinical:  # versions and comments are clinical records: not on a front desk's workstation
        first = (select(NoteVersion.note_id, func.min(NoteVersion.number).label("n"))
                 .where(NoteVersion.client_id == client_id, NoteVersion.deleted.is_(False))
                 .group_by(NoteVersion.note_id).subquery())
        for note_id, saved_at, saved_by in s.execute(
                select(NoteVersion.note_id, NoteVersion.saved_at, NoteVersion.saved_by)
                .join(first, (first.c.note_id == NoteVersion.note_id) & (first.c.n == NoteVersion.number))):
            started[note_id] = (saved_at, saved_by)
        returns = list(s.scalars(select(NoteComment).where(
            NoteComment.client_id == client_id, NoteComment.kind == "return", NoteComment.deleted.is_(False))))
    events: list[ChartEvent] = []
    for n in notes:
        parent = by_id.get(n.addendum_to or "")
        if n.addendum_to:
            what = f"Addendum to the note of {parent.service_date:%m/%d/%Y}" if parent else "Addendum"
        else:
            what = f"{names.get(n.note_type, n.note_type.replace('_', ' ').capitalize())} of {n.service_date:%m/%d/%Y}"
        begun = started.get(n.id) or (made_at(n.id) or n.updated_at, n.author_id)
        flag = "" if n.appointment_id or n.addendum_to else " (no appointment)"
        events.append(ChartEvent(_aware(begun[0]), begun[1],
                                 "addendum_created" if n.addendum_to else "note_created", what + flag))
        if n.submitted_at:
            events.append(ChartEvent(_aware(n.submitted_at), n.submitted_by, "note_submitted", what))
        if n.signed_at and n.signed_at != n.cosigned_at:  # a co-signature is the signing: one line for it
            events.append(ChartEvent(_aware(n.signed_at), n.signed_by,
                                     "addendum_signed" if n.addendum_to else "note_signed", what))
        if n.cosigned_at:
            events.append(ChartEvent(_aware(n.cosigned_at), n.cosigned_by, "note_cosigned", what))
    for c in returns:
        note = by_id.get(c.note_id)
        if note is not None:
            label = names.get(note.note_type, note.note_type)
            events.append(ChartEvent(_aware(c.at), c.author_id, "note_returned",
                                     f"{label} of {note.service_date:%m/%d/%Y}"))
    return events


def made_at(row_id: str) -> datetime | None:
    """When a row was made, from its UUIDv7 id (made on the device at that moment; DESIGN.md): the
    start of a note for roles that may not read its first saved version."""
    try:
        value = uuid.UUID(row_id)
    except ValueError:
        return None
    if value.version != 7:
        return None
    return datetime.fromtimestamp(int(value.hex[:12], 16) / 1000, tz=UTC)


def _clinical_events(s: Session, client_id: str, days: _Days) -> list[ChartEvent]:
    events: list[ChartEvent] = []
    live = (TreatmentPlan.client_id == client_id, TreatmentPlan.deleted.is_(False))
    for p in s.scalars(select(TreatmentPlan).where(*live, TreatmentPlan.signed_at.is_not(None))):
        assert p.signed_at is not None
        events.append(ChartEvent(_aware(p.signed_at), p.signed_by, "plan_signed",
                                 f"starts {p.starts_on:%m/%d/%Y}; review due {p.review_due_on:%m/%d/%Y}"))
    for r in s.scalars(select(PlanReview).where(PlanReview.client_id == client_id, PlanReview.deleted.is_(False),
                                                PlanReview.signed_at.is_not(None))):
        assert r.signed_at is not None
        events.append(ChartEvent(_aware(r.signed_at), r.signed_by, "plan_reviewed",
                                 f"next review {r.next_review_on:%m/%d/%Y}"))
    for sp in s.scalars(select(SafetyPlan).where(SafetyPlan.client_id == client_id, SafetyPlan.deleted.is_(False),
                                                 SafetyPlan.signed_at.is_not(None))):
        assert sp.signed_at is not None
        events.append(ChartEvent(_aware(sp.signed_at), sp.signed_by, "safety_plan_signed", "Stanley-Brown plan"))
    for f in s.scalars(select(RiskFlag).where(RiskFlag.client_id == client_id, RiskFlag.deleted.is_(False))):
        cleared = f"; cleared {f.cleared_on:%m/%d/%Y}" if f.cleared_on else ""
        events.append(ChartEvent(days.at(f.flagged_on, f.updated_at), f.flagged_by, "risk_flagged",
                                 "safety plan required" + cleared))
    for a in s.scalars(select(Attachment).where(Attachment.client_id == client_id, Attachment.deleted.is_(False))):
        kind = "PDF" if a.media_type == "application/pdf" else a.media_type.split("/")[-1].upper() + " image"
        events.append(ChartEvent(days.at(a.added_on, a.updated_at), a.added_by, "document_added",
                                 f"{kind}, {max(1, a.size_bytes // 1024)} KB"))
    return events


def usernames(s: Session) -> dict[str, str]:
    """Staff usernames by id (what the audit-log part of the timeline names people by)."""
    return {str(i): str(u) for i, u in s.execute(select(User.id, User.username))}
