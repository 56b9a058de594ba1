"""What a client's chart shows of the clinical record, gathered in one read for the chart page.

Every role sees the note list (metadata only); roles that read diagnosis codes see the problem list
(billing: codes without the clinician's words); roles that read clinical notes also see plan and
safety-plan status and the documents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from mentalspace_desktop.domain.roles import Action, Resource, allows, allows_any
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services.charting.attachments import AttachmentLine, AttachmentService
from mentalspace_desktop.services.charting.common import load_client
from mentalspace_desktop.services.charting.diagnoses import DiagnosisService, DiagnosisView
from mentalspace_desktop.services.charting.notes import NoteLine, NoteService
from mentalspace_desktop.services.charting.plans import PlanService, PlanSummary
from mentalspace_desktop.services.charting.templates import TemplateService
from mentalspace_desktop.services.permissions import client_relation
from mentalspace_desktop.services.session import UserSession


@dataclass(frozen=True)
class ClinicalChart:
    client_id: str
    notes: list[NoteLine]
    diagnoses: list[DiagnosisView] | None  # None: this role may not see diagnoses
    plans: PlanSummary | None  # None: this role may not read clinical records
    documents: list[AttachmentLine] | None
    can_write: bool
    note_types: list[tuple[str, str]]  # (type, name) a note can be started with

    @property
    def current_diagnoses(self) -> list[DiagnosisView]:
        return [d for d in self.diagnoses or [] if d.is_current]


class ClinicalChartService:
    def __init__(self, session: UserSession, *, today: Callable[[], date] = date.today) -> None:
        self.session = session
        self.today = today

    def load(self, client_id: str) -> ClinicalChart:
        role = self.session.actor.role
        notes = NoteService(self.session, today=self.today).client_notes(client_id)
        diagnoses = (DiagnosisService(self.session, today=self.today).problem_list(client_id)
                     if allows_any(role, Resource.DIAGNOSIS_CODES, Action.READ) else None)
        clinical = self.session.clinical is not None
        plans = documents = None
        can_write = False
        types: list[tuple[str, str]] = []
        if clinical:
            try:
                plans = PlanService(self.session, today=self.today).summary(client_id)
                documents = AttachmentService(self.session, today=self.today).list(client_id)
            except PermissionDenied:
                plans = documents = None
            if plans is not None and allows_any(role, Resource.NOTE_CONTENT, Action.WRITE):
                with self.session.store.read() as s:
                    clinician = load_client(s, client_id).primary_clinician_id
                can_write = allows(role, Resource.NOTE_CONTENT, Action.WRITE, client_relation(self.session, clinician))
                if can_write:
                    templates = TemplateService(self.session)
                    types = [(t.note_type, t.name) for t in templates.note_types()]
        return ClinicalChart(client_id, notes, diagnoses, plans, documents, can_write, types)
