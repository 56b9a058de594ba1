"""The client's problem list: ICD-10-CM diagnoses with dates, attached to notes.

Billing reads the codes (claims need them) but never the clinician's words about a diagnosis, which
are sealed; roles that may read clinical text see both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.roles import Action, Resource
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.common import (
    ChartDidChange,
    open_text,
    require_clinical,
    seal_text,
    user_name,
)
from mentalspace_desktop.services.charting.icd10 import icd_index
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import Diagnosis, NoteDiagnosis
from mentalspace_desktop.store.models import Note


@dataclass(frozen=True)
class DiagnosisView:
    id: str
    code: str
    description: str
    onset_on: date | None
    added_on: date
    resolved_on: date | None
    is_primary: bool
    notes: str | None  # None: this role may not read it
    added_by: str

    @property
    def is_current(self) -> bool:
        return self.resolved_on is None


class DiagnosisService:
    def __init__(self, session: UserSession, *, today: Callable[[], date] = date.today) -> None:
        self.session = session
        self.today = today

    def add(self, client_id: str, code: str, *, onset_on: date | None = None, notes: str = "",
            is_primary: bool = False, note_id: str | None = None) -> str:
        """Put a diagnosis on the problem list (and on a note, when given); unknown codes are refused. A
        code already current on the list is refused, unless it is being put on a note: the note then
        names the diagnosis already there (one problem-list entry per condition)."""
        found = icd_index().get(code)
        if found is None:
            raise ValidationError({"code": f"“{code.strip()}” is not a billable ICD-10-CM code; pick one from "
                                           "the list (a category such as F41 needs its full code, e.g. F41.1)."})
        if onset_on and onset_on > self.today():
            raise ValidationError({"onset_on": "The onset date cannot be in the future."})
        me = self.session.actor.user_id
        with self.session.store.write(me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE, Resource.DIAGNOSIS_CODES)
            existing = s.scalars(select(Diagnosis).where(Diagnosis.client_id == client_id, Diagnosis.code == found.code,
                                                         Diagnosis.resolved_on.is_(None),
                                                         Diagnosis.deleted.is_(False))).first()
            if existing is not None and note_id:  # on the problem list already: the note names that one
                if s.scalar(select(NoteDiagnosis.id).where(NoteDiagnosis.note_id == note_id,
                                                           NoteDiagnosis.diagnosis_id == existing.id)) is None:
                    self._attach(s, note_id, existing)
                    audit.record(self.session, s, action="diagnosis_attached", record_type="note",
                                 record_id=note_id, client_id=client_id, summary=existing.code)
                return existing.id
            if existing is not None:
                raise ValidationError({"code": f"{found.code} is already on this client's problem list."})
            if is_primary:
                for d in s.scalars(select(Diagnosis).where(Diagnosis.client_id == client_id,
                                                           Diagnosis.is_primary.is_(True))):
                    d.is_primary = False
            row = Diagnosis(client_id=client_id, code=found.code, description=found.description, onset_on=onset_on,
                            added_on=self.today(), is_primary=is_primary, added_by=me, notes="")
            s.add(row)
            s.flush()
            if notes.strip():
                row.notes = seal_text(self.session, notes.strip(), "diagnoses", "notes", row.id)
            if note_id:
                self._attach(s, note_id, row)
            audit.record(self.session, s, action="diagnosis_added", record_type="diagnosis", record_id=row.id,
                         client_id=client_id, summary=found.code)
        self.session.events.emit(ChartDidChange(client_id, "diagnosis", row.id))
        return row.id

    def _attach(self, s: Session, note_id: str, diagnosis: Diagnosis) -> None:
        note = s.get(Note, note_id)
        if note is None or note.client_id != diagnosis.client_id:
            raise NotFound("That note is not in this client's chart.")
        if note.signed_at is not None:
            raise ValidationError({"note": "A signed note cannot change; add the diagnosis to the problem list."})
        rank = len(s.scalars(select(NoteDiagnosis.id).where(NoteDiagnosis.note_id == note_id)).all()) + 1
        s.add(NoteDiagnosis(note_id=note_id, diagnosis_id=diagnosis.id, client_id=diagnosis.client_id, rank=rank))

    def attach_to_note(self, note_id: str, diagnosis_id: str) -> None:
        with self.session.store.write(self.session.actor.user_id) as s:
            d = s.get(Diagnosis, diagnosis_id)
            if d is None:
                raise NotFound("That diagnosis does not exist.")
            require_clinical(self.session, s, d.client_id, Action.WRITE, Resource.DIAGNOSIS_CODES)
            self._attach(s, note_id, d)
            audit.record(self.session, s, action="diagnosis_attached", record_type="note", record_id=note_id,
                         client_id=d.client_id, summary=d.code)

    def resolve(self, diagnosis_id: str, *, on: date | None = None) -> None:
        with self.session.store.write(self.session.actor.user_id) as s:
            d = s.get(Diagnosis, diagnosis_id)
            if d is None or d.deleted:
                raise NotFound("That diagnosis does not exist.")
            require_clinical(self.session, s, d.client_id, Action.WRITE, Resource.DIAGNOSIS_CODES)
            d.resolved_on = on or self.today()
            audit.record(self.session, s, action="diagnosis_resolved", record_type="diagnosis", record_id=d.id,
                         client_id=d.client_id, summary=d.code)
        self.session.events.emit(ChartDidChange(d.client_id, "diagnosis", d.id))

    def problem_list(self, client_id: str, *, include_resolved: bool = True) -> list[DiagnosisView]:
        """The client's diagnoses, current first; an audited read. Billing gets codes without notes."""
        reads_text = self.session.clinical is not None
        with self.session.store.write(self.session.actor.user_id) as s:
            require_clinical(self.session, s, client_id, Action.READ, Resource.DIAGNOSIS_CODES)
            q = select(Diagnosis).where(Diagnosis.client_id == client_id, Diagnosis.deleted.is_(False))
            if not include_resolved:
                q = q.where(Diagnosis.resolved_on.is_(None))
            rows = s.scalars(q).all()
            out = [DiagnosisView(d.id, d.code, d.description, d.onset_on, d.added_on, d.resolved_on, d.is_primary,
                                 open_text(self.session, d.notes, "diagnoses", "notes", d.id) if reads_text else None,
                                 user_name(s, d.added_by)) for d in rows]
            audit.record(self.session, s, action="diagnoses_viewed", record_type="client", record_id=client_id,
                         client_id=client_id)
        return sorted(out, key=lambda d: (d.resolved_on is not None, not d.is_primary, d.added_on, d.code))

    def for_note(self, note_id: str) -> list[DiagnosisView]:
        with self.session.store.read() as s:
            note = s.get(Note, note_id)
            if note is None:
                raise NotFound("That note does not exist.")
            ids = list(s.scalars(select(NoteDiagnosis.diagnosis_id).where(NoteDiagnosis.note_id == note_id)
                                 .order_by(NoteDiagnosis.rank)))
        by_id = {d.id: d for d in self.problem_list(note.client_id)}
        return [by_id[i] for i in ids if i in by_id]
