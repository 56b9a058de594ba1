"""Exporting signed records to PDF: one note, one plan, or a date range of a client's chart.

Only signed records leave as PDF (a draft is not part of the legal record); the export is an audited
read and needs the same permission as opening the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from mentalspace_desktop.domain.charting.lifecycle import NoteStatus
from mentalspace_desktop.domain.charting.templates import Template
from mentalspace_desktop.domain.clients import format_phone
from mentalspace_desktop.domain.roles import Action
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.integrations.pdf_chart import PdfDocument, PdfRecord, PdfSection, write_pdf
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.common import load_client, require_clinical, seal_of
from mentalspace_desktop.services.charting.notes import NoteService, NoteView
from mentalspace_desktop.services.charting.plans import PlanService, TreatmentPlanView
from mentalspace_desktop.services.clients import display_name
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import TreatmentPlan
from mentalspace_desktop.store.models import Note, Practice


@dataclass(frozen=True)
class ExportResult:
    path: Path
    pages: int
    records: int


def _zone_of(practice: Practice | None) -> ZoneInfo | None:
    try:
        return ZoneInfo(practice.time_zone) if practice else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


class ChartExportService:
    def __init__(self, session: UserSession) -> None:
        self.session = session
        self.notes = NoteService(session)
        with session.store.read() as s:
            self._practice = s.scalars(select(Practice).limit(1)).first()
        self._zone = _zone_of(self._practice)  # times print in the practice's zone

    def _local(self, dt: datetime | None) -> str:
        if dt is None:
            return ""
        aware = dt if dt.tzinfo else dt.replace(tzinfo=UTC)
        zone = self._zone
        return (aware.astimezone(zone) if zone else aware.astimezone()).strftime("%m/%d/%Y %I:%M %p %Z")

    def _document(self, client_id: str, title: str, records: list[PdfRecord]) -> PdfDocument:
        practice = self._practice
        with self.session.store.read() as s:
            client = load_client(s, client_id)
        phone = format_phone(practice.phone) if practice and practice.phone else ""
        return PdfDocument(practice.name if practice else "", phone,
                           display_name(client), client.dob.strftime("%m/%d/%Y"), client.chart_number, title,
                           self.session.actor.full_name, self._local(datetime.now(UTC)), records)

    def _note_record(self, v: NoteView) -> PdfRecord:
        t: Template = v.template
        sections = [PdfSection(f.label, v.content.get(f.key, "")) for f in t.fields if v.content.get(f.key, "").strip()]
        sig = [f"Electronically signed by {v.signed_by_name} on {self._local(v.signed_at)}."]
        if v.cosigned_at:
            sig.append(f"Co-signed by supervisor {v.cosigned_by_name} on {self._local(v.cosigned_at)}.")
        title = t.name if not v.addendum_to else f"Addendum, {v.service_date:%m/%d/%Y}"
        subtitle = f"Date of service {v.service_date:%m/%d/%Y} · Clinician {v.author_name}"
        return PdfRecord(title, subtitle, sections, sig, v.content_hash,
                         [self._note_record(a) for a in v.addenda if a.status is NoteStatus.SIGNED])

    def export_note(self, note_id: str, out: Path) -> ExportResult:
        view = self.notes.open(note_id)
        if view.status is not NoteStatus.SIGNED:
            raise ValidationError({"note": "Only a signed note can be exported; sign it first."})
        doc = self._document(view.client_id, view.template.name, [self._note_record(view)])
        return self._write(doc, out, view.client_id, 1, f"note of {view.service_date}")

    def export_plan(self, plan_id: str, out: Path) -> ExportResult:
        with self.session.store.read() as s:
            row = s.get(TreatmentPlan, plan_id)
            if row is None:
                raise NotFound("That treatment plan does not exist.")
            client_id = row.client_id
        plan = next(p for p in PlanService(self.session).treatment_plans(client_id) if p.id == plan_id)
        if plan.signed_at is None:
            raise ValidationError({"plan": "Only a signed plan can be exported; sign it first."})
        doc = self._document(client_id, "Treatment plan", [self._plan_record(plan)])
        return self._write(doc, out, client_id, 1, "treatment plan")

    def _plan_record(self, p: TreatmentPlanView) -> PdfRecord:
        sections = []
        for i, problem in enumerate(p.problems, 1):
            lines = []
            for g in problem.goals:
                lines.append(f"Goal: {g.text}")
                for o in g.objectives:
                    target = o.target_date.strftime("%m/%d/%Y") if o.target_date else "—"
                    lines.append(f"  Objective: {o.text} (measured by: {o.measure}; target {target})")
                for iv in g.interventions:
                    lines.append(f"  Intervention: {iv}")
            sections.append(PdfSection(f"Problem {i}: {problem.text}", "\n".join(lines)))
        for r in p.reviews:
            sections.append(PdfSection(f"Review of {r.reviewed_on:%m/%d/%Y} (signed by {r.signed_by})", r.text))
        sig = [f"Electronically signed by {p.signed_by} on {self._local(p.signed_at)}.",
               f"Plan start {p.starts_on:%m/%d/%Y}; next review due {p.review_due_on:%m/%d/%Y}."]
        return PdfRecord("Treatment plan", f"Written by {p.author}", sections, sig, p.content_hash)

    def export_range(self, client_id: str, out: Path, *, since: date | None = None,
                     until: date | None = None) -> ExportResult:
        """Every signed note (with its addenda) and signed plan of the client between two dates."""
        if since and until and since > until:
            raise ValidationError({"from": "The start date is after the end date."})
        seal_of(self.session)
        with self.session.store.read() as s:
            require_clinical(self.session, s, client_id, Action.READ)
            q = select(Note.id).where(Note.client_id == client_id, Note.status == NoteStatus.SIGNED.value,
                                      Note.addendum_to.is_(None), Note.deleted.is_(False))
            if since:
                q = q.where(Note.service_date >= since)
            if until:
                q = q.where(Note.service_date <= until)
            note_ids = list(s.scalars(q.order_by(Note.service_date, Note.signed_at)))
        records = [self._note_record(self.notes.open(n)) for n in note_ids]
        for p in PlanService(self.session).treatment_plans(client_id):
            if p.signed_at and (not since or p.starts_on >= since) and (not until or p.starts_on <= until):
                records.append(self._plan_record(p))
        if since or until:
            span = f"{since:%m/%d/%Y}" if since else "first record"
            span += f" – {until:%m/%d/%Y}" if until else " – today"
        else:
            span = "all signed records"
        doc = self._document(client_id, f"Chart, {span}", records)
        return self._write(doc, out, client_id, len(records), f"chart {span}")

    def _write(self, doc: PdfDocument, out: Path, client_id: str, count: int, what: str) -> ExportResult:
        """Owner-only, and named only once its audit entry is committed (nothing leaves unaudited)."""
        pages: list[int] = []
        audit.write_private(out, lambda part: pages.append(write_pdf(doc, part)), audited=(self.session, {
            "action": "export", "record_type": "chart", "record_id": client_id, "client_id": client_id,
            "summary": f"PDF of {what} ({count} records)"}))
        return ExportResult(out, pages[0], count)
