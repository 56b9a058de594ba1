"""Client records: register, edit, search, open a chart, consents and insurance, export."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import InstrumentedAttribute, Session

from mentalspace_desktop.domain import clients as rules
from mentalspace_desktop.domain.chart_numbers import BITS, chart_number
from mentalspace_desktop.domain.clients import ClientStatus, ConsentKind, ConsentOnFile
from mentalspace_desktop.domain.reminders.rules import CHANNEL_LABELS
from mentalspace_desktop.domain.reminders.words import history_words
from mentalspace_desktop.domain.roles import Action, Resource, Role, Scope, allows_any, scope_for
from mentalspace_desktop.domain.search import ClientQuery, parse_client_query
from mentalspace_desktop.errors import NotFound, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.timeline import chart_events, usernames
from mentalspace_desktop.services.events import ClientDidChange
from mentalspace_desktop.services.permissions import require_any, require_client
from mentalspace_desktop.services.reminders.desk import history_of_client
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.models import AuditEntry, Client, Consent, Insurance, User

SEARCH_LIMIT = 20
_SUMMARY_COLUMNS = (Client.id, Client.chart_number, Client.last_name, Client.first_name, Client.preferred_name,
                    Client.dob, Client.phone_mobile, Client.phone_home, Client.status)


@dataclass
class InsuranceInput:
    payer_name: str = ""
    member_id: str = ""
    payer_id: str = ""
    group_number: str = ""
    subscriber_name: str = ""
    subscriber_relationship: str = "self"

    @property
    def is_blank(self) -> bool:
        return not (self.payer_name.strip() or self.member_id.strip())


@dataclass
class ClientInput:
    """What the registration form holds, as typed. The service validates and normalises it."""

    first_name: str = ""
    last_name: str = ""
    dob: date | None = None
    preferred_name: str = ""
    pronouns: str = ""
    sex_at_birth: str = ""
    gender_identity: str = ""
    phone_mobile: str = ""
    phone_home: str = ""
    email: str = ""
    address1: str = ""
    address2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    preferred_language: str = "English"
    primary_clinician_id: str | None = None
    uses_telehealth: bool = False
    emergency_name: str = ""
    emergency_phone: str = ""
    emergency_relationship: str = ""
    guardian_name: str = ""
    guardian_phone: str = ""
    primary_insurance: InsuranceInput = field(default_factory=InsuranceInput)
    secondary_insurance: InsuranceInput = field(default_factory=InsuranceInput)


@dataclass(frozen=True)
class ClientSummary:
    """One search result: enough to recognise the right person at the desk."""

    id: str
    chart_number: str
    display_name: str
    dob: date
    phone: str
    status: str
    clinician_name: str | None


@dataclass(frozen=True)
class TimelineItem:
    at: datetime
    who: str
    action: str
    summary: str


@dataclass(frozen=True)
class ChartView:
    client: Client
    age: int
    is_minor: bool
    missing_consents: list[ConsentKind]
    clinician_name: str | None
    timeline: list[TimelineItem]
    can_edit: bool


# What happened to the client; who merely looked at the chart is in the audit log, not here. What was
# charted (notes, signatures, addenda, plans, diagnoses, documents) comes from the records themselves
# (services/charting/timeline.py): this workstation's log holds only what was done on it.
TIMELINE_ACTIONS = ("create", "update", "status_changed", "consent_added", "consent_revoked",
                    "insurance_changed", "conflict_resolved")
TIMELINE_LENGTH = 200
_ACTION_WORDS = {
    "create": "Registered",
    "update": "Details changed",
    "status_changed": "Status changed",
    "consent_added": "Consent recorded",
    "consent_revoked": "Consent revoked",
    "insurance_changed": "Insurance changed",
    "conflict_resolved": "Conflict decided",
    "note_created": "Note started",
    "note_submitted": "Note sent for co-signature",
    "note_signed": "Note signed",
    "note_cosigned": "Note co-signed",
    "note_returned": "Note returned to author",
    "addendum_created": "Addendum started",
    "addendum_signed": "Addendum signed",
    "plan_signed": "Treatment plan signed",
    "plan_reviewed": "Treatment plan reviewed",
    "safety_plan_signed": "Safety plan signed",
    "risk_flagged": "Flagged at risk",
    "diagnosis_added": "Diagnosis added",
    "diagnosis_resolved": "Diagnosis resolved",
    "document_added": "Document attached",
}


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def display_name(c: Client) -> str:
    preferred = f' "{c.preferred_name}"' if c.preferred_name and c.preferred_name != c.first_name else ""
    return f"{c.last_name}, {c.first_name}{preferred}"


def search_keys(first: str, last: str, preferred: str | None, phone: str | None) -> dict[str, str | None]:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    national = digits[1:] if len(digits) == 11 and digits.startswith("1") else digits
    return {
        "first_key": rules.name_key(first),
        "last_key": rules.name_key(last),
        "preferred_key": rules.name_key(preferred) if preferred else None,
        "phone_key": national or None,
        "phone_rev_key": national[::-1] or None,
    }


def _prefix(column: ColumnElement[str] | InstrumentedAttribute[str | None], prefix: str) -> ColumnElement[bool]:
    """``column`` starts with ``prefix``, as an index range scan (LIKE would not use the index)."""
    return and_(column >= prefix, column < prefix + "\uffff")


def _name_branches(tokens: tuple[str, ...]) -> list[ColumnElement[bool]]:
    """The ways a name query can match: "smith jo" is Smith, Jo…; Jo… Smith…; or a last name "smithjo…"."""
    if len(tokens) == 1:
        t = tokens[0]
        return [_prefix(Client.last_key, t), _prefix(Client.first_key, t), _prefix(Client.preferred_key, t)]
    if len(tokens) >= 2:
        a, b = tokens[0], "".join(tokens[1:])
        return [
            and_(_prefix(Client.last_key, a), or_(_prefix(Client.first_key, b), _prefix(Client.preferred_key, b))),
            and_(or_(_prefix(Client.first_key, a), _prefix(Client.preferred_key, a)), _prefix(Client.last_key, b)),
            _prefix(Client.last_key, a + b),
        ]
    return []


def validate_client_input(data: ClientInput, today: date) -> dict[str, object]:
    errors: dict[str, str] = {}
    out: dict[str, object] = {}

    def text(name: str, value: str, *, required: bool = False, label: str = "") -> None:
        value = value.strip()
        if required and not value:
            errors[name] = f"Enter the {label or name.replace('_', ' ')}."
        out[name] = value or None

    def check(name: str, value: str, fn: Callable[[str], str]) -> None:
        if not value.strip():
            out[name] = None
            return
        try:
            out[name] = fn(value)
        except ValueError as exc:
            errors[name] = str(exc)

    text("first_name", data.first_name, required=True, label="first name")
    text("last_name", data.last_name, required=True, label="last name")
    for name in ("preferred_name", "pronouns", "sex_at_birth", "gender_identity", "address1", "address2",
                 "city", "emergency_name", "emergency_relationship", "guardian_name"):
        text(name, getattr(data, name))
    out["preferred_language"] = data.preferred_language.strip() or "English"
    if data.dob is None:
        errors["dob"] = "Enter the date of birth."
    else:
        try:
            out["dob"] = rules.validate_dob(data.dob, today)
        except ValueError as exc:
            errors["dob"] = str(exc)
    for name in ("phone_mobile", "phone_home", "emergency_phone", "guardian_phone"):
        check(name, getattr(data, name), rules.normalize_phone)
    check("email", data.email, rules.validate_email)
    check("state", data.state, rules.validate_state)
    check("zip", data.zip, rules.validate_zip)
    if data.dob and "dob" not in errors and rules.is_minor(data.dob, today) and not data.guardian_name.strip():
        errors["guardian_name"] = "A client under 18 needs a parent or guardian on file."
    for rank, ins in ((1, data.primary_insurance), (2, data.secondary_insurance)):
        if not ins.is_blank and not (ins.payer_name.strip() and ins.member_id.strip()):
            which = "primary" if rank == 1 else "secondary"
            errors[f"insurance{rank}"] = f"The {which} insurance needs both the payer and the member id."
    if data.primary_insurance.is_blank and not data.secondary_insurance.is_blank:
        errors["insurance2"] = "Enter the primary insurance before a secondary one."
    out["primary_clinician_id"] = data.primary_clinician_id
    out["uses_telehealth"] = data.uses_telehealth
    if errors:
        raise ValidationError(errors)
    return out


def _unused_chart_number(s: Session) -> str:
    """A fresh random chart number (a local clash, vanishingly rare, just draws again)."""
    while True:
        candidate = chart_number(secrets.randbits(BITS))
        if s.scalar(select(Client.id).where(Client.chart_number == candidate)) is None:
            return candidate


class ClientService:
    def __init__(self, session: UserSession, *, today: Callable[[], date] = date.today) -> None:
        self.session = session
        self.today = today

    # -- scope -------------------------------------------------------------------------------

    def _scoped(self, q: Select[Client]) -> Select[Client]:
        """Limit a client query to the records this user may read."""
        role = self.session.actor.role
        scope = scope_for(role, Resource.DEMOGRAPHICS, Action.READ)
        if scope is Scope.ALL:
            return q
        allowed = {self.session.actor.user_id}
        if scope is Scope.TEAM:
            allowed |= self.session.team_clinician_ids()
        return q.where(Client.primary_clinician_id.in_(allowed))

    def _load(self, s: Session, client_id: str, action: Action) -> Client:
        client = s.get(Client, client_id)
        if client is None or client.deleted:
            raise NotFound("That client record does not exist.")
        require_client(self.session, Resource.DEMOGRAPHICS, action, client.primary_clinician_id)
        return client

    # -- search ------------------------------------------------------------------------------

    def search(self, text: str, *, limit: int = SEARCH_LIMIT) -> list[ClientSummary]:
        """Clients matching a name, date of birth, phone digits or chart number, within the user's scope."""
        require_any(self.session, Resource.DEMOGRAPHICS, Action.READ)
        query = parse_client_query(text, self.today())
        if query.is_empty:
            return []
        q = self._scoped(self._search_query(replace(query, name_tokens=()))).where(Client.deleted.is_(False))
        branches = _name_branches(query.name_tokens)
        by_chart = bool(query.chart_prefix) and not branches  # "MS-4": walk the chart-number index in order
        order = (Client.chart_number,) if by_chart else (Client.last_key, Client.first_key)
        if branches:
            # One ordered, limited index walk per way of reading the name, merged. A plain OR of the
            # prefixes makes SQLite collect and sort every match ("s" is a third of a practice) first.
            parts = [q.where(b).with_only_columns(Client.id).order_by(*order).limit(limit).subquery()
                     for b in branches]
            q = q.where(Client.id.in_(union_all(*(select(part.c.id) for part in parts))))
        # Only the columns a result line shows: loading whole Client objects would also run the
        # insurance and consent "selectin" loads on every keystroke (benchmarks/bench_client_search.py);
        # a column query on a plain connection, no ORM session per keystroke.
        return self._summaries(q.order_by(*order).limit(limit))

    def starting_list(self, *, limit: int = 50) -> tuple[str, list[ClientSummary]]:
        """What the search list shows before anything is typed, and what it is: a clinician's (or a
        supervisor's) own caseload, for everyone else the clients they opened most recently."""
        require_any(self.session, Resource.DEMOGRAPHICS, Action.READ)
        me = self.session.actor.user_id
        base = select(Client).where(Client.deleted.is_(False))
        if self.session.actor.role in (Role.CLINICIAN, Role.SUPERVISOR):
            q = self._scoped(base).where(Client.primary_clinician_id == me, Client.status != "discharged")
            return "caseload", self._summaries(q.order_by(Client.last_key, Client.first_key).limit(limit))
        opened = (select(AuditEntry.client_id, func.max(AuditEntry.seq).label("last"))
                  .where(AuditEntry.user_id == me, AuditEntry.action == "open_chart",
                         AuditEntry.client_id.is_not(None))
                  .group_by(AuditEntry.client_id).subquery())
        q = self._scoped(base).join(opened, opened.c.client_id == Client.id).order_by(opened.c.last.desc())
        return "recent", self._summaries(q.limit(limit))

    def labels(self, client_ids: Collection[str]) -> dict[str, str]:
        """"Name · chart number" of the clients among ``client_ids`` this user may read (others are left
        out), so a list of record ids (the audit log) can name the people. A lookup, not a chart view."""
        if not client_ids or not allows_any(self.session.actor.role, Resource.DEMOGRAPHICS, Action.READ):
            return {}
        q = self._scoped(select(Client)).where(Client.id.in_(set(client_ids)))
        lines = q.with_only_columns(Client.id, Client.chart_number, Client.last_name, Client.first_name,
                                    Client.preferred_name)
        with self.session.store.engine.connect() as conn:
            return {c.id: f"{display_name(c)} · {c.chart_number}"  # type: ignore[arg-type]
                    for c in conn.execute(lines)}

    def _summaries(self, q: Select[Client]) -> list[ClientSummary]:
        lines = q.with_only_columns(*_SUMMARY_COLUMNS, User.full_name.label("clinician")).outerjoin(
            User, User.id == Client.primary_clinician_id)
        with self.session.store.engine.connect() as conn:
            rows = list(conn.execute(lines))
        return [
            ClientSummary(c.id, c.chart_number, display_name(c), c.dob,  # type: ignore[arg-type]
                          rules.format_phone(c.phone_mobile or c.phone_home), c.status, c.clinician)
            for c in rows
        ]

    @staticmethod
    def _search_query(query: ClientQuery) -> Select[Client]:
        q = select(Client)
        if query.chart_prefix:
            q = q.where(_prefix(Client.chart_number, query.chart_prefix))
        if query.id_prefix:
            q = q.where(_prefix(Client.id, query.id_prefix))
        if query.dob:
            q = q.where(Client.dob == query.dob)
        if query.phone_digits:
            d = query.phone_digits
            q = q.where(or_(_prefix(Client.phone_key, d), _prefix(Client.phone_rev_key, d[::-1])))
        branches = _name_branches(query.name_tokens)
        if branches:
            q = q.where(or_(*branches))
        return q

    # -- reading -----------------------------------------------------------------------------

    def get(self, client_id: str) -> Client:
        """The client's record for editing; reading it is audited."""
        with self.session.store.write(self.session.actor.user_id) as s:
            client = self._load(s, client_id, Action.READ)
            audit.record(self.session, s, action="view", record_type="client", record_id=client.id,
                         client_id=client.id)
        return client

    def open_chart(self, client_id: str) -> ChartView:
        """Everything the chart page shows; opening a chart is an audited read."""
        today = self.today()
        with self.session.store.write(self.session.actor.user_id) as s:
            client = self._load(s, client_id, Action.READ)
            audit.record(self.session, s, action="open_chart", record_type="client", record_id=client.id,
                         client_id=client.id)
            clinician = s.get(User, client.primary_clinician_id) if client.primary_clinician_id else None
            entries = s.scalars(
                select(AuditEntry)
                .where(AuditEntry.client_id == client.id, AuditEntry.action.in_(TIMELINE_ACTIONS))
                .order_by(AuditEntry.at.desc(), AuditEntry.seq.desc())
                .limit(TIMELINE_LENGTH)
            ).all()
            charted = chart_events(self.session, s, client)
            names = usernames(s) if charted else {}
            reminded = history_of_client(s, client.id)
            _ = client.consents, client.insurances
        on_file = [ConsentOnFile(ConsentKind(c.kind), c.signed_on, c.expires_on, c.revoked_on)
                   for c in client.consents if not c.deleted]
        missing = rules.missing_consents(dob=client.dob, today=today, uses_telehealth=client.uses_telehealth,
                                         on_file=on_file)
        timeline = [TimelineItem(e.at, e.username, _ACTION_WORDS.get(e.action, e.action), e.summary)
                    for e in entries]
        timeline += [TimelineItem(c.at, names.get(c.user_id or "", ""), _ACTION_WORDS.get(c.action, c.action),
                                  c.summary) for c in charted]
        timeline += [TimelineItem(r.at, "", *history_words(r.direction, CHANNEL_LABELS.get(r.channel, r.channel),
                                                           r.kind, r.state, r.text, r.error)) for r in reminded]
        timeline = sorted(timeline, key=lambda t: _utc(t.at), reverse=True)[:TIMELINE_LENGTH]
        can_edit = self._may(Action.WRITE, client.primary_clinician_id)
        return ChartView(client, rules.age_on(client.dob, today), rules.is_minor(client.dob, today), missing,
                         clinician.full_name if clinician else None, timeline, can_edit)

    def _may(self, action: Action, clinician_id: str | None) -> bool:
        try:
            require_client(self.session, Resource.DEMOGRAPHICS, action, clinician_id)
        except Exception:
            return False
        return True

    def clinicians(self) -> list[tuple[str, str]]:
        """(id, name) of active staff who can carry a caseload, for the clinician picker."""
        roles = (Role.CLINICIAN.value, Role.SUPERVISOR.value)
        with self.session.store.read() as s:
            rows = s.execute(select(User.id, User.full_name).where(
                User.role.in_(roles), User.active.is_(True), User.deleted.is_(False)).order_by(User.full_name))
            return [(r.id, r.full_name) for r in rows]

    # -- writing -----------------------------------------------------------------------------

    def register(self, data: ClientInput) -> Client:
        require_any(self.session, Resource.DEMOGRAPHICS, Action.WRITE)
        if self.session.actor.role is Role.CLINICIAN and data.primary_clinician_id is None:
            data = replace(data, primary_clinician_id=self.session.actor.user_id)
        values = validate_client_input(data, self.today())
        require_client(self.session, Resource.DEMOGRAPHICS, Action.WRITE, data.primary_clinician_id)
        with self.session.store.write(self.session.actor.user_id) as s:
            self._check_clinician(s, data.primary_clinician_id)
            chart_number = _unused_chart_number(s)
            client = Client(chart_number=chart_number, status=ClientStatus.ACTIVE.value, **values,
                            **search_keys(data.first_name, data.last_name, data.preferred_name, values["phone_mobile"]
                                    or values["phone_home"]))  # type: ignore[arg-type]
            s.add(client)
            s.flush()
            self._write_insurance(s, client, data)
            audit.record(self.session, s, action="create", record_type="client", record_id=client.id,
                         client_id=client.id, summary=f"Registered as {chart_number}")
        self.session.events.emit(ClientDidChange(client.id, created=True))
        return client

    def update(self, client_id: str, data: ClientInput) -> Client:
        values = validate_client_input(data, self.today())
        with self.session.store.write(self.session.actor.user_id) as s:
            client = self._load(s, client_id, Action.WRITE)
            if data.primary_clinician_id != client.primary_clinician_id:
                require_client(self.session, Resource.DEMOGRAPHICS, Action.WRITE, data.primary_clinician_id)
                self._check_clinician(s, data.primary_clinician_id)
            changed = [k for k, v in values.items() if getattr(client, k) != v]
            for k in changed:
                setattr(client, k, values[k])
            for k, v in search_keys(client.first_name, client.last_name, client.preferred_name,
                              client.phone_mobile or client.phone_home).items():
                setattr(client, k, v)
            insurance_changed = self._write_insurance(s, client, data)
            if changed:
                labels = ", ".join(k.replace("_", " ") for k in changed)
                audit.record(self.session, s, action="update", record_type="client", record_id=client.id,
                             client_id=client.id, summary=f"Changed {labels}")
            if insurance_changed:
                audit.record(self.session, s, action="insurance_changed", record_type="client",
                             record_id=client.id, client_id=client.id, summary=insurance_changed)
        self.session.events.emit(ClientDidChange(client.id))
        return client

    @staticmethod
    def _check_clinician(s: Session, clinician_id: str | None) -> None:
        if clinician_id is None:
            return
        user = s.get(User, clinician_id)
        if user is None or not user.active or user.role not in (Role.CLINICIAN.value, Role.SUPERVISOR.value):
            raise ValidationError({"primary_clinician_id": "Choose an active clinician."})

    @staticmethod
    def _write_insurance(s: Session, client: Client, data: ClientInput) -> str:
        """Bring the client's insurance rows in line with the form; what changed, in words."""
        current = {i.rank: i for i in s.scalars(select(Insurance).where(
            Insurance.client_id == client.id, Insurance.deleted.is_(False)))}
        notes = []
        for rank, ins in ((1, data.primary_insurance), (2, data.secondary_insurance)):
            which = "primary" if rank == 1 else "secondary"
            row = current.get(rank)
            if ins.is_blank:
                if row is not None:
                    row.deleted = True
                    notes.append(f"removed {which}")
                continue
            values = {f.name: getattr(ins, f.name).strip() or None for f in fields(InsuranceInput)}
            values["subscriber_relationship"] = values["subscriber_relationship"] or "self"
            if row is None:
                s.add(Insurance(client_id=client.id, rank=rank, **values))
                notes.append(f"added {which} ({values['payer_name']})")
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                notes.append(f"updated {which} ({values['payer_name']})")
        return "; ".join(notes).capitalize()

    def set_status(self, client_id: str, status: ClientStatus, *, on: date | None = None) -> None:
        with self.session.store.write(self.session.actor.user_id) as s:
            client = self._load(s, client_id, Action.WRITE)
            old = client.status
            client.status = status.value
            client.discharged_on = (on or self.today()) if status is ClientStatus.DISCHARGED else None
            audit.record(self.session, s, action="status_changed", record_type="client", record_id=client.id,
                         client_id=client.id, summary=f"{old} → {status.value}")
        self.session.events.emit(ClientDidChange(client_id))

    def add_consent(self, client_id: str, kind: ConsentKind, *, signed_on: date, expires_on: date | None = None,
                    recipient: str | None = None, signed_by: str | None = None) -> None:
        errors = {}
        if signed_on > self.today():
            errors["signed_on"] = "The signature date is in the future."
        if expires_on is not None and expires_on < signed_on:
            errors["expires_on"] = "The consent cannot expire before it was signed."
        if kind is ConsentKind.RELEASE_OF_INFORMATION and not (recipient or "").strip():
            errors["recipient"] = "A release of information names who may receive it."
        if errors:
            raise ValidationError(errors)
        with self.session.store.write(self.session.actor.user_id) as s:
            client = self._load(s, client_id, Action.WRITE)
            s.add(Consent(client_id=client.id, kind=kind.value, signed_on=signed_on, expires_on=expires_on,
                          recipient=(recipient or "").strip() or None, signed_by=(signed_by or "").strip() or None))
            audit.record(self.session, s, action="consent_added", record_type="client", record_id=client.id,
                         client_id=client.id, summary=f"{kind.label} signed {signed_on.isoformat()}")
        self.session.events.emit(ClientDidChange(client_id))

    def revoke_consent(self, consent_id: str, *, on: date | None = None) -> None:
        with self.session.store.write(self.session.actor.user_id) as s:
            consent = s.get(Consent, consent_id)
            if consent is None or consent.deleted:
                raise NotFound("That consent no longer exists.")
            client = self._load(s, consent.client_id, Action.WRITE)
            consent.revoked_on = on or self.today()
            audit.record(self.session, s, action="consent_revoked", record_type="client", record_id=client.id,
                         client_id=client.id, summary=f"{ConsentKind(consent.kind).label} revoked")
        self.session.events.emit(ClientDidChange(consent.client_id))

    # -- export ------------------------------------------------------------------------------

    EXPORT_COLUMNS = ("id", "chart_number", "last_name", "first_name", "preferred_name", "dob", "status",
                      "phone_mobile", "phone_home", "email", "address1", "address2", "city", "state", "zip",
                      "preferred_language", "primary_clinician", "primary_payer", "primary_member_id",
                      "secondary_payer", "secondary_member_id", "emergency_name", "emergency_phone",
                      "guardian_name", "guardian_phone", "discharged_on")

    def export_csv(self, out: Path) -> int:
        """One row per client the user may read, client id first; the export is audited."""
        require_any(self.session, Resource.DEMOGRAPHICS, Action.READ)
        q = self._scoped(select(Client).where(Client.deleted.is_(False))).order_by(Client.last_key, Client.first_key)
        with self.session.store.read() as s:
            names = dict(s.execute(select(User.id, User.full_name)).all())
            rows = []
            for c in s.scalars(q):
                ins = {i.rank: i for i in c.insurances if not i.deleted}
                values = {col: getattr(c, col, None) for col in self.EXPORT_COLUMNS}
                values["primary_clinician"] = names.get(c.primary_clinician_id or "")
                for rank, prefix in ((1, "primary"), (2, "secondary")):
                    values[f"{prefix}_payer"] = ins[rank].payer_name if rank in ins else None
                    values[f"{prefix}_member_id"] = ins[rank].member_id if rank in ins else None
                rows.append([values[col] for col in self.EXPORT_COLUMNS])
        audit.write_csv(out, self.EXPORT_COLUMNS, rows, audited=(self.session, {  # named only once audited
            "action": "export", "record_type": "client", "summary": f"{len(rows)} clients to CSV"}))
        return len(rows)
