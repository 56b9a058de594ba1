"""Data-quality findings: records to correct, each with the screen that corrects it.

Three rules (domain/data_quality.py): an appointment still scheduled a day after it ended, a note
tied to no appointment, a client whose demographics are incomplete. Who sees which follows the
alerts' reach: a clinician their own clients and sessions, a supervisor their team's, an
administrator everything. The findings name clients, so looking at them is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select

from mentalspace_desktop.domain.clients import is_minor
from mentalspace_desktop.domain.data_quality import OPEN_STATUSES, STALE_AFTER, missing_demographics
from mentalspace_desktop.domain.roles import Action, Resource, Role, allows_any
from mentalspace_desktop.errors import PermissionDenied
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import Client, Note, User
from mentalspace_desktop.store.scheduling_models import Appointment

LIMIT = 500  # per rule: a screen of findings to work through, not an export


class Kind(StrEnum):
    STALE_APPOINTMENT = "stale_appointment"
    NOTE_WITHOUT_APPOINTMENT = "note_without_appointment"
    INCOMPLETE_DEMOGRAPHICS = "incomplete_demographics"


KIND_LABELS = {
    Kind.STALE_APPOINTMENT: "Appointment still scheduled",
    Kind.NOTE_WITHOUT_APPOINTMENT: "Note without appointment",
    Kind.INCOMPLETE_DEMOGRAPHICS: "Incomplete demographics",
}
FIXES = {
    Kind.STALE_APPOINTMENT: "Open the client's appointments and record what happened (checked in, no-show, cancelled).",
    Kind.NOTE_WITHOUT_APPOINTMENT: "Open the note and link it to the session it documents.",
    Kind.INCOMPLETE_DEMOGRAPHICS: "Open the client's details and fill in what is missing.",
}


@dataclass(frozen=True)
class DataFinding:
    kind: Kind
    client_id: str | None
    client: str  # "Last, First (chart number)"
    clinician: str
    when: datetime | date | None  # the session's start, the note's date; None for demographics
    detail: str
    record_type: str  # what opens: appointment (the client's appointments), note, client (details)
    record_id: str
    section: str | None  # the part of the client's chart that fixes it

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass(frozen=True)
class DataQuality:
    findings: list[DataFinding]
    truncated: bool  # a rule had more than LIMIT findings: the oldest are shown

    def count(self, kind: Kind) -> int:
        return sum(1 for f in self.findings if f.kind is kind)


def _staff_in_scope(session: UserSession) -> set[str] | None:
    role = session.actor.role
    if not allows_any(role, Resource.ALERTS, Action.READ):
        raise PermissionDenied(f"Your role ({role.label}) has no data-quality list. Ask an administrator.")
    if role is Role.ADMIN:
        return None
    if role is Role.SUPERVISOR:
        return set(session.team_clinician_ids()) | {session.actor.user_id}
    return {session.actor.user_id}


def find(session: UserSession, *, now: datetime, today: date) -> DataQuality:
    """Every finding this user may see, oldest first within each rule."""
    scope = _staff_in_scope(session)
    truncated = False
    findings: list[DataFinding] = []
    with session.store.read() as s:
        names = {uid: name for uid, name in s.execute(select(User.id, User.full_name))}
        client_q = select(Client).where(Client.deleted.is_(False))
        if scope is not None:
            client_q = client_q.where(Client.primary_clinician_id.in_(scope))
        clients = {c.id: c for c in s.scalars(client_q)}

        def who(client_id: str | None) -> str:
            c = clients.get(client_id or "")
            return f"{c.last_name}, {c.first_name} ({c.chart_number})" if c else "—"

        appts = select(Appointment).where(Appointment.deleted.is_(False), Appointment.status.in_(OPEN_STATUSES),
                                          Appointment.end_at <= now - STALE_AFTER)
        if scope is not None:
            appts = appts.where(Appointment.provider_id.in_(scope))
        rows = list(s.scalars(appts.order_by(Appointment.start_at).limit(LIMIT + 1)))
        truncated |= len(rows) > LIMIT
        for a in rows[:LIMIT]:
            findings.append(DataFinding(
                Kind.STALE_APPOINTMENT, a.client_id, who(a.client_id) if a.client_id else "Group session",
                names.get(a.provider_id, "?"), a.start_at, f"still “{a.status}” a day after it ended",
                "appointment", a.id, "appointments"))
        notes = select(Note).where(Note.deleted.is_(False), Note.appointment_id.is_(None),
                                   Note.addendum_to.is_(None))
        if scope is not None:
            notes = notes.where(Note.author_id.in_(scope))
        rows_n = list(s.scalars(notes.order_by(Note.service_date).limit(LIMIT + 1)))
        truncated |= len(rows_n) > LIMIT
        for n in rows_n[:LIMIT]:
            findings.append(DataFinding(
                Kind.NOTE_WITHOUT_APPOINTMENT, n.client_id, who(n.client_id), names.get(n.author_id, "?"),
                n.service_date, f"{n.note_type.replace('_', ' ')} note ({n.status}) tied to no appointment",
                "note", n.id, None))
        incomplete = 0
        for c in sorted(clients.values(), key=lambda c: (c.last_name, c.first_name)):
            if c.status != "active":
                continue
            missing = missing_demographics(c, is_minor(c.dob, today))
            if missing and incomplete < LIMIT:
                incomplete += 1
                findings.append(DataFinding(
                    Kind.INCOMPLETE_DEMOGRAPHICS, c.id, who(c.id), names.get(c.primary_clinician_id or "", "—"),
                    None, "missing: " + ", ".join(missing), "client", c.id, "details"))
            elif missing:
                truncated = True
    with session.store.write(session.actor.user_id) as s:
        audit.append(s, session.store, user_id=session.actor.user_id, username=session.actor.username,
                     action="view", record_type="data_quality", record_id=None,
                     summary=f"data-quality list ({len(findings)} finding(s))", at=now)
    return DataQuality(findings, truncated)
