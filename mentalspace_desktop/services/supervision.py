"""The supervision log: supervisors record the sessions they hold with their associates and sign them.

Who may do what (the supervision row of ``domain/roles.py``): a supervisor records, edits and signs
sessions with their own supervisees; an administrator may record and edit anyone's (the sign-off
stays the supervisor's own); a clinician reads their own sessions. A signed session never changes.
Topics are sealed like clinical text, since supervision talks about clients. Signed hours feed the
``supervision_hours`` metric and the Georgia monthly supervision-hours rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain import compliance as rules
from mentalspace_desktop.domain.roles import Action, Relation, Resource, Role, allows, allows_any
from mentalspace_desktop.errors import NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.events import Event
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.clinical_seal import context_of
from mentalspace_desktop.store.models import Practice, User
from mentalspace_desktop.store.supervision_models import SupervisionSession

MAX_MINUTES = 8 * 60  # one sitting; a longer entry is a typing slip
TOPICS_LIMIT = 4000


class Kind(StrEnum):
    INDIVIDUAL = "individual"
    GROUP = "group"


@dataclass(frozen=True)
class SupervisionDidChange(Event):
    """Supervision sessions were recorded, edited or signed (ids of the rows)."""

    session_ids: tuple[str, ...]


@dataclass(frozen=True)
class Person:
    id: str
    full_name: str
    license_type: str | None
    required_hours: float | None = None  # a month's requirement for their license (None: none)


@dataclass(frozen=True)
class SupervisionEntry:
    id: str
    supervisor_id: str
    supervisor_name: str
    supervisee_id: str
    supervisee_name: str
    held_on: date
    minutes: int
    kind: Kind
    topics: str | None  # None: this workstation cannot open sealed text for this user
    signed_at: datetime | None

    @property
    def hours(self) -> float:
        return self.minutes / 60


def _relation(session: UserSession, supervisee_id: str) -> Relation:
    if supervisee_id == session.actor.user_id:
        return Relation.OWN
    if session.actor.role is Role.SUPERVISOR and supervisee_id in session.team_clinician_ids():
        return Relation.TEAM
    return Relation.OTHER


def _require(session: UserSession, action: Action, supervisee_id: str) -> None:
    require_any(session, Resource.SUPERVISION, action)
    if not allows(session.actor.role, Resource.SUPERVISION, action, _relation(session, supervisee_id)):
        raise PermissionDenied("You can only see and record supervision of the associates you supervise.")


def monthly_hours(s: Session) -> dict[str, float]:
    """Hours a month each license requires, from the practice's compliance settings."""
    return monthly_hours_of(s.scalar(select(Practice)))


def monthly_hours_of(practice: Practice | None) -> dict[str, float]:
    conf = rules.settings_or_defaults(practice.rule_settings if practice else None)
    return {k: float(v) for k, v in conf["supervision_hours"]["monthly_hours"].items() if v}


def supervisees(session: UserSession) -> list[Person]:
    """Whose supervision this user may see, with each license's monthly requirement: a supervisor's
    team, everyone with a supervisor for an administrator, a clinician themselves."""
    require_any(session, Resource.SUPERVISION, Action.READ)
    query = select(User).where(User.deleted.is_(False), User.active.is_(True))
    if session.actor.role is Role.ADMIN:
        query = query.where(User.supervisor_id.is_not(None))
    elif session.actor.role is Role.SUPERVISOR:
        query = query.where(User.supervisor_id == session.actor.user_id)
    else:
        query = query.where(User.id == session.actor.user_id)
    with session.store.read() as s:
        required = monthly_hours(s)
        return [Person(u.id, u.full_name, u.license_type, required.get(u.license_type or ""))
                for u in s.scalars(query.order_by(User.full_name))]


def has_supervision(session: UserSession) -> bool:
    """Whether the supervision log means anything to this user: supervisors and administrators, and
    clinicians who have a supervisor (a fully licensed clinician has no log)."""
    if session.actor.role in (Role.SUPERVISOR, Role.ADMIN):
        return True
    if not allows_any(session.actor.role, Resource.SUPERVISION, Action.READ):
        return False
    with session.store.read() as s:
        return s.scalar(select(User.supervisor_id).where(User.id == session.actor.user_id)) is not None


def _check(*, held_on: date, minutes: int, kind: str, topics: str, today: date) -> None:
    problems: dict[str, str] = {}
    if held_on > today:
        problems["held_on"] = "A supervision session can only be logged once it has taken place."
    if not 0 < minutes <= MAX_MINUTES:
        problems["minutes"] = f"The length must be from 1 minute to {MAX_MINUTES // 60} hours."
    if kind not in Kind.__members__.values():
        problems["kind"] = "Choose individual or group supervision."
    if len(topics) > TOPICS_LIMIT:
        problems["topics"] = f"Topics are limited to {TOPICS_LIMIT} characters."
    if problems:
        raise ValidationError(problems)


def _seal(session: UserSession, text: str, row_id: str) -> str:
    seal = session.clinical
    if seal is None:
        raise PermissionDenied("This workstation cannot write supervision topics for you yet (the clinical key "
                               "has not reached it). Sync, then try again.")
    return seal.seal(text, context=context_of("supervision_sessions", "topics", row_id))


def record(session: UserSession, *, supervisee_ids: list[str], held_on: date, minutes: int, kind: Kind,
           topics: str, today: date, now: datetime, supervisor_id: str | None = None,
           sign: bool = False) -> list[str]:
    """Log one session: a row per supervisee (a group session names several). ``sign`` signs it at
    once (the supervisor only). Returns the new ids."""
    topics = topics.strip()
    _check(held_on=held_on, minutes=minutes, kind=kind, topics=topics, today=today)
    if not supervisee_ids:
        raise ValidationError({"supervisees": "Choose who was supervised."})
    if kind is Kind.INDIVIDUAL and len(supervisee_ids) > 1:
        raise ValidationError({"kind": "Individual supervision has one supervisee; choose group for several."})
    for supervisee_id in supervisee_ids:
        _require(session, Action.WRITE, supervisee_id)
    ids: list[str] = []
    with session.store.write(session.actor.user_id) as s:
        for supervisee_id in supervisee_ids:
            supervisee = s.get(User, supervisee_id)
            if supervisee is None or supervisee.deleted:
                raise NotFound("That staff member does not exist.")
            by = supervisor_id or (session.actor.user_id if session.actor.role is Role.SUPERVISOR
                                   else supervisee.supervisor_id)
            if by is None:
                raise ValidationError({"supervisor": f"{supervisee.full_name} has no supervisor on record."})
            if by == supervisee_id:  # their hours would count toward their own license's requirement
                raise ValidationError({"supervisees": "Nobody supervises themselves: choose a supervisee."})
            row = SupervisionSession(supervisor_id=by, supervisee_id=supervisee_id, held_on=held_on,
                                     minutes=minutes, kind=kind.value, topics="")
            s.add(row)
            s.flush()
            row.topics = _seal(session, topics, row.id)
            if sign:
                _sign_row(session, row, now)
            audit.record(session, s, action="supervision_logged", record_type="supervision_session",
                         record_id=row.id, summary=f"{minutes} min {kind.value} supervision of "
                         f"{supervisee.full_name} on {held_on.isoformat()}" + (", signed" if sign else ""), at=now)
            ids.append(row.id)
    session.events.emit(SupervisionDidChange(tuple(ids)))
    return ids


def _load(s: Session, session_id: str) -> SupervisionSession:
    row = s.get(SupervisionSession, session_id)
    if row is None or row.deleted:
        raise NotFound("That supervision session does not exist.")
    return row


def _sign_row(session: UserSession, row: SupervisionSession, now: datetime) -> None:
    if row.supervisor_id != session.actor.user_id:
        raise PermissionDenied("Only the supervisor who held the session can sign it.")
    row.signed_at, row.signed_by = now, session.actor.user_id


def edit(session: UserSession, session_id: str, *, held_on: date, minutes: int, kind: Kind, topics: str,
         today: date, now: datetime) -> None:
    """Correct an unsigned session (a signed one never changes)."""
    topics = topics.strip()
    _check(held_on=held_on, minutes=minutes, kind=kind, topics=topics, today=today)
    with session.store.write(session.actor.user_id) as s:
        row = _load(s, session_id)
        _require(session, Action.WRITE, row.supervisee_id)
        if row.signed_at is not None:
            raise ValidationError({"signed": "This session is signed and can no longer be changed."})
        row.held_on, row.minutes, row.kind = held_on, minutes, kind.value
        row.topics = _seal(session, topics, row.id)
        audit.record(session, s, action="supervision_edited", record_type="supervision_session", record_id=row.id,
                     summary=f"supervision of {held_on.isoformat()} corrected", at=now)
    session.events.emit(SupervisionDidChange((session_id,)))


def sign(session: UserSession, session_id: str, *, now: datetime) -> None:
    """The supervisor's signature: the session's hours count from now on and it is frozen."""
    with session.store.write(session.actor.user_id) as s:
        row = _load(s, session_id)
        _require(session, Action.WRITE, row.supervisee_id)
        if row.signed_at is not None:
            raise ValidationError({"signed": "This session is already signed."})
        _sign_row(session, row, now)
        audit.record(session, s, action="supervision_signed", record_type="supervision_session", record_id=row.id,
                     summary=f"supervision of {row.held_on.isoformat()} signed", at=now)
    session.events.emit(SupervisionDidChange((session_id,)))


def entries(session: UserSession, *, start: date, end: date) -> list[SupervisionEntry]:
    """Sessions held from ``start`` to ``end`` that this user may see, newest first."""
    require_any(session, Resource.SUPERVISION, Action.READ)
    query = select(SupervisionSession).where(SupervisionSession.deleted.is_(False),
                                             SupervisionSession.held_on >= start, SupervisionSession.held_on <= end)
    role = session.actor.role
    if role is Role.SUPERVISOR:
        team = session.team_clinician_ids() | {session.actor.user_id}
        query = query.where(SupervisionSession.supervisee_id.in_(team)
                            | (SupervisionSession.supervisor_id == session.actor.user_id))
    elif role is not Role.ADMIN:
        query = query.where(SupervisionSession.supervisee_id == session.actor.user_id)
    seal = session.clinical
    with session.store.read() as s:
        rows = s.scalars(query.order_by(SupervisionSession.held_on.desc())).all()
        names = {uid: name for uid, name in s.execute(select(User.id, User.full_name))}
    return [
        SupervisionEntry(r.id, r.supervisor_id, names.get(r.supervisor_id, "unknown"), r.supervisee_id,
                         names.get(r.supervisee_id, "unknown"), r.held_on, r.minutes, Kind(r.kind),
                         None if seal is None else seal.open(r.topics, context=context_of(
                             "supervision_sessions", "topics", r.id)), r.signed_at)
        for r in rows
    ]


def signed_minutes(s: Session, *, start: date, end: date, supervisee_ids: list[str] | None = None) -> dict[str, int]:
    """Signed supervision minutes per supervisee held from ``start`` to ``end`` (one grouped query)."""
    totals: dict[str, int] = defaultdict(int)
    query = select(SupervisionSession.supervisee_id, SupervisionSession.minutes).where(
        SupervisionSession.deleted.is_(False), SupervisionSession.signed_at.is_not(None),
        SupervisionSession.held_on >= start, SupervisionSession.held_on <= end)
    if supervisee_ids is not None:
        query = query.where(SupervisionSession.supervisee_id.in_(supervisee_ids))
    for supervisee_id, minutes in s.execute(query):
        totals[supervisee_id] += minutes
    return dict(totals)
