"""Writing, signing and co-signing notes; addenda; version history; "My notes".

A note's content (field → text) lives sealed in its body row; every saved version is kept sealed in
``note_versions``. Autosave is cheap: it compares with what is stored and writes only a change, and
keeps a version at most every few minutes (and at every explicit save and signature), so a crash
loses at most the seconds since the last autosave while the history stays readable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.charting import chain, lifecycle
from mentalspace_desktop.domain.charting.diff import FieldDiff, diff_versions
from mentalspace_desktop.domain.charting.lifecycle import NoteFacts, NoteStatus, Timeliness, TransitionRefused
from mentalspace_desktop.domain.charting.templates import Template, TemplateError, check_content, missing_required
from mentalspace_desktop.domain.roles import Action, Resource, Role
from mentalspace_desktop.errors import MentalSpaceError, NotFound, PermissionDenied, ValidationError
from mentalspace_desktop.services import audit
from mentalspace_desktop.services.charting.common import (
    ChartDidChange,
    now,
    open_json,
    open_text,
    reauthenticate,
    require_clinical,
    seal_json,
    seal_of,
    seal_text,
    user_name,
)
from mentalspace_desktop.services.charting.templates import active_template, newest_templates, template_by_id
from mentalspace_desktop.services.clients import display_name
from mentalspace_desktop.services.session import UserSession
from mentalspace_desktop.store.chart_models import NoteComment, NoteVersion
from mentalspace_desktop.store.models import Client, Note, NoteBody, User
from mentalspace_desktop.store.scheduling_models import Appointment, AppointmentType

VERSION_EVERY = timedelta(minutes=5)  # autosave keeps a version at most this often


class SignatureRefused(MentalSpaceError):
    """A signature the note's state does not allow (required fields empty, not the author, …)."""


@dataclass(frozen=True)
class NoteLine:
    """One note in a list: enough to recognise it and open it with one click."""

    id: str
    client_id: str
    client_name: str
    note_type: str
    type_name: str
    service_date: date
    status: NoteStatus
    author_name: str
    age_days: int
    timeliness: Timeliness | None  # None once signed
    age_label: str
    has_appointment: bool
    is_addendum: bool


@dataclass(frozen=True)
class CommentView:
    at: datetime
    author: str
    kind: str
    text: str


@dataclass(frozen=True)
class NoteView:
    """A note opened for reading or editing."""

    id: str
    client_id: str
    client_name: str
    chart_number: str
    client_dob: date
    note_type: str
    template: Template
    service_date: date
    status: NoteStatus
    author_id: str
    author_name: str
    content: dict[str, str]
    can_edit: bool
    can_cosign: bool
    requires_cosign: bool
    appointment_id: str | None
    addendum_to: str | None
    submitted_at: datetime | None
    signed_at: datetime | None
    signed_by_name: str
    cosigned_at: datetime | None
    cosigned_by_name: str
    content_hash: str | None
    addenda: list[NoteView] = field(default_factory=list)
    comments: list[CommentView] = field(default_factory=list)

    @property
    def is_amended(self) -> bool:
        return any(a.status is NoteStatus.SIGNED for a in self.addenda)

    @property
    def status_label(self) -> str:
        return "Signed, amended" if self.is_amended else self.status.label

    @property
    def flags(self) -> list[str]:
        """Data-quality flags shown on the note."""
        return [] if self.appointment_id or self.addendum_to else ["Not linked to an appointment"]


@dataclass(frozen=True)
class VersionInfo:
    number: int
    saved_at: datetime
    saved_by: str
    reason: str


@dataclass(frozen=True)
class SignResult:
    note_id: str
    status: NoteStatus
    content_hash: str


@dataclass(frozen=True)
class DueSession:
    """A session I held that has no note yet: one click starts the note from it."""

    id: str  # the appointment's
    client_id: str
    client_name: str
    type_name: str
    service_date: date
    needs_cosign: bool  # the appointment type asks for a supervisor's co-signature
    age_days: int
    timeliness: Timeliness
    age_label: str


@dataclass(frozen=True)
class MyNotes:
    drafts: list[NoteLine]
    returned: list[NoteLine]
    awaiting_cosign: list[NoteLine]  # mine, in my supervisor's queue
    cosign_queue: list[NoteLine]  # my supervisees', waiting for me
    due: list[DueSession] = field(default_factory=list)  # sessions held, no note started


@dataclass(frozen=True)
class _Due:
    id: str
    client_id: str
    type_name: str
    day: date
    needs_cosign: bool


_LINE_COLUMNS = (Note.id, Note.note_type, Note.service_date, Note.status, Note.author_id, Note.appointment_id,
                 Note.addendum_to)


def _status(note: Any) -> NoteStatus:
    try:
        return NoteStatus(note.status)
    except ValueError:
        return NoteStatus.DRAFT


class NoteService:
    def __init__(self, session: UserSession, *, today: Callable[[], date] = date.today) -> None:
        self.session = session
        self.today = today

    @property
    def _me(self) -> str:
        return self.session.actor.user_id

    # -- loading -----------------------------------------------------------------------------

    def _note(self, s: Session, note_id: str, action: Action) -> tuple[Note, NoteBody, Client]:
        note = s.get(Note, note_id)
        if note is None or note.deleted:
            raise NotFound("That note does not exist.")
        client = require_clinical(self.session, s, note.client_id, Action.READ)
        if action is Action.WRITE and note.author_id != self._me:
            raise PermissionDenied("Only the note's author can change it.")
        body = s.scalars(select(NoteBody).where(NoteBody.note_id == note_id)).first()
        if body is None:
            raise NotFound("This note's text is not on this computer yet; sync, then open it again.")
        return note, body, client

    def _facts(self, s: Session, note: Note) -> NoteFacts:
        author = s.get(User, note.author_id)
        return NoteFacts(_status(note), note.author_id, self._me, author.supervisor_id if author else None,
                         note.requires_cosign, is_addendum=note.addendum_to is not None)

    def _content(self, body: NoteBody) -> dict[str, str]:
        data = open_json(self.session, body.body, "note_bodies", "body", body.id)
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {"text": str(data)}

    # -- starting ----------------------------------------------------------------------------

    def start(self, client_id: str, note_type: str, *, service_date: date | None = None,
              appointment_id: str | None = None, appointment_requires_cosign: bool = False) -> str:
        """A new draft for a client, from an appointment (the usual path) or from the chart."""
        seal_of(self.session)
        with self.session.store.write(self._me) as s:
            require_clinical(self.session, s, client_id, Action.WRITE)
            template_id, template = active_template(s, note_type)
            if note_type == "addendum":
                raise ValidationError({"note_type": "An addendum is added to a signed note."})
            if appointment_id is not None:
                session_row = s.get(Appointment, appointment_id)
                if session_row is None or session_row.deleted or session_row.client_id != client_id:
                    raise ValidationError({"appointment": "That session is not this client's (or is not on "
                                                          "this workstation); start the note from the chart."})
            author = s.get(User, self._me)
            assert author is not None
            needs = lifecycle.requires_cosign(license_type=author.license_type,
                                              has_supervisor=author.supervisor_id is not None,
                                              appointment_requires_cosign=appointment_requires_cosign)
            note = self._insert(s, client_id, note_type, template_id, template, service_date or self.today(),
                                needs, appointment_id=appointment_id)
            audit.record(self.session, s, action="note_created", record_type="note", record_id=note.id,
                         client_id=client_id, summary=template.name + ("" if appointment_id else
                                                                       " (no appointment)"))
        self.session.events.emit(ChartDidChange(client_id, "note", note.id))
        return note.id

    def _insert(self, s: Session, client_id: str, note_type: str, template_id: str, template: Template,
                service_date: date, needs_cosign: bool, *, appointment_id: str | None = None,
                addendum_to: str | None = None) -> Note:
        note = Note(client_id=client_id, author_id=self._me, note_type=note_type, service_date=service_date,
                    status=NoteStatus.DRAFT.value, template_id=template_id, requires_cosign=needs_cosign,
                    appointment_id=appointment_id, addendum_to=addendum_to)
        s.add(note)
        s.flush()
        body = NoteBody(note_id=note.id, client_id=client_id)
        s.add(body)
        s.flush()
        body.body = seal_json(self.session, {k: "" for k in template.keys}, "note_bodies", "body", body.id)
        return note

    def add_addendum(self, note_id: str) -> str:
        """A draft addendum to a signed note, signed like a note; the note itself never changes."""
        with self.session.store.write(self._me) as s:
            note, _, client = self._note(s, note_id, Action.READ)
            require_clinical(self.session, s, client.id, Action.WRITE)
            author = s.get(User, note.author_id)
            try:
                lifecycle.check_addendum(status=_status(note), actor_id=self._me, author_id=note.author_id,
                                         author_supervisor_id=author.supervisor_id if author else None)
            except TransitionRefused as exc:
                raise PermissionDenied(str(exc)) from None
            template_id, template = active_template(s, "addendum")
            addendum = self._insert(s, client.id, "addendum", template_id, template, self.today(), False,
                                    addendum_to=note.id)
            audit.record(self.session, s, action="addendum_created", record_type="note", record_id=addendum.id,
                         client_id=client.id, summary=f"addendum to the note of {note.service_date}")
        self.session.events.emit(ChartDidChange(client.id, "note", addendum.id))
        return addendum.id

    # -- reading -----------------------------------------------------------------------------

    def open(self, note_id: str) -> NoteView:
        """The note with its content, addenda and comments; an audited read."""
        seal_of(self.session)
        with self.session.store.write(self._me) as s:
            note, body, client = self._note(s, note_id, Action.READ)
            view = self._view(s, note, body, client)
            audit.record(self.session, s, action="note_viewed", record_type="note", record_id=note.id,
                         client_id=client.id)
        return view

    def _view(self, s: Session, note: Note, body: NoteBody, client: Client, *, nested: bool = False) -> NoteView:
        template = template_by_id(s, note.template_id, note.note_type)
        facts = self._facts(s, note)
        status = facts.status
        addenda: list[NoteView] = []
        comments: list[CommentView] = []
        if not nested:
            for a in s.scalars(select(Note).where(Note.addendum_to == note.id, Note.deleted.is_(False))
                               .order_by(Note.updated_at)):
                a_body = s.scalars(select(NoteBody).where(NoteBody.note_id == a.id)).first()
                if a_body is not None:
                    addenda.append(self._view(s, a, a_body, client, nested=True))
            for c in s.scalars(select(NoteComment).where(NoteComment.note_id == note.id).order_by(NoteComment.at)):
                comments.append(CommentView(c.at, user_name(s, c.author_id), c.kind,
                                            open_text(self.session, c.text, "note_comments", "text", c.id)))
        return NoteView(
            id=note.id, client_id=client.id, client_name=display_name(client), chart_number=client.chart_number,
            client_dob=client.dob, note_type=note.note_type, template=template, service_date=note.service_date,
            status=status, author_id=note.author_id, author_name=user_name(s, note.author_id),
            content=self._content(body), can_edit=status in lifecycle.EDITABLE and note.author_id == self._me,
            can_cosign=status is NoteStatus.IN_REVIEW and facts.author_supervisor_id == self._me,
            requires_cosign=note.requires_cosign, appointment_id=note.appointment_id,
            addendum_to=note.addendum_to, submitted_at=note.submitted_at, signed_at=note.signed_at,
            signed_by_name=user_name(s, note.signed_by), cosigned_at=note.cosigned_at,
            cosigned_by_name=user_name(s, note.cosigned_by), content_hash=note.content_hash,
            addenda=addenda, comments=comments)

    def client_notes(self, client_id: str) -> list[NoteLine]:
        """A client's notes, newest first: metadata only, which every role may list."""
        with self.session.store.read() as s:
            client = require_clinical(self.session, s, client_id, Action.READ, Resource.NOTE_METADATA)
            # the columns a line shows, not whole notes: a five-year chart lists 250 of them
            notes = s.execute(select(*_LINE_COLUMNS).where(Note.client_id == client_id, Note.deleted.is_(False))
                              .order_by(Note.service_date.desc(), Note.updated_at.desc())).all()
            names, people = _type_names(s), _people(s)
            return [self._line(s, n, client, names, people) for n in notes]

    def _line(self, s: Session, n: Any, client: Client, names: Mapping[str, str] | None = None,
              people: Mapping[str, str] | None = None) -> NoteLine:
        status = _status(n)
        today = self.today()
        unsigned = status is not NoteStatus.SIGNED
        names = names if names is not None else _type_names(s)
        author = people[n.author_id] if people and n.author_id in people else user_name(s, n.author_id)
        return NoteLine(n.id, client.id, display_name(client), n.note_type, names.get(n.note_type, n.note_type),
                        n.service_date, status, author,
                        lifecycle.age_in_days(n.service_date, today),
                        lifecycle.timeliness(n.service_date, today) if unsigned else None,
                        lifecycle.age_label(n.service_date, today) if unsigned else "",
                        n.appointment_id is not None, n.addendum_to is not None)

    # -- writing -----------------------------------------------------------------------------

    def autosave(self, note_id: str, content: Mapping[str, str], *, keep_version: bool = False) -> bool:
        """Store the draft as typed; returns whether anything changed. Cheap when nothing did.

        ``keep_version``: an explicit save (or closing the editor) keeps a version whatever its age.
        """
        with self.session.store.write(self._me) as s:
            note, body, client = self._note(s, note_id, Action.WRITE)
            try:
                lifecycle.check_edit(self._facts(s, note))
            except TransitionRefused as exc:
                raise PermissionDenied(str(exc)) from None
            template = template_by_id(s, note.template_id, note.note_type)
            try:
                new = check_content(template, content)
            except TemplateError as exc:
                raise ValidationError({"content": str(exc)}, f"The note was not saved: {exc}") from None
            old = self._content(body)
            changed = new != old
            if changed:
                body.body = seal_json(self.session, new, "note_bodies", "body", body.id)
                note.updated_at = now()
            last = s.scalars(select(NoteVersion).where(NoteVersion.note_id == note_id)
                             .order_by(NoteVersion.number.desc())).first()
            due = last is None or now() - _aware(last.saved_at) >= VERSION_EVERY
            if changed or (keep_version and last is not None and self._version_content(last) != new):
                if keep_version or due or (last is not None and last.saved_by != self._me):
                    self._keep_version(s, note, new, "save" if keep_version else "autosave")
                audit.record(self.session, s, action="note_saved", record_type="note", record_id=note.id,
                             client_id=client.id, summary="autosave" if not keep_version else "saved")
        if changed:
            self.session.events.emit(ChartDidChange(client.id, "note", note_id))
        return changed

    def _version_content(self, v: NoteVersion) -> dict[str, str]:
        data = open_json(self.session, v.content, "note_versions", "content", v.id)
        return {str(k): str(val) for k, val in data.items()}

    def _keep_version(self, s: Session, note: Note, content: Mapping[str, str], reason: str) -> None:
        number = int(s.scalar(select(func.max(NoteVersion.number)).where(NoteVersion.note_id == note.id)) or 0) + 1
        v = NoteVersion(note_id=note.id, client_id=note.client_id, number=number, content="", saved_at=now(),
                        saved_by=self._me, reason=reason)
        s.add(v)
        s.flush()
        v.content = seal_json(self.session, dict(content), "note_versions", "content", v.id)

    # -- signing -----------------------------------------------------------------------------

    def sign(self, note_id: str, secret: str) -> SignResult:
        """Sign after re-entering the password or a one-time code; locks the note (or sends it for co-signature)."""
        reauthenticate(self.session, secret, purpose="a note")
        with self.session.store.write(self._me) as s:
            result = self._sign_one(s, note_id)
        return result

    def bulk_preview(self, note_ids: Sequence[str]) -> list[NoteLine]:
        """Exactly what a bulk signature will sign (or co-sign), for the prompt to list."""
        with self.session.store.read() as s:
            lines = []
            for note_id in note_ids:
                note, _, client = self._note(s, note_id, Action.READ)
                lines.append(self._line(s, note, client))
            return lines

    def bulk_sign(self, note_ids: Sequence[str], secret: str) -> list[SignResult]:
        """Sign my drafts and co-sign my supervisees' notes, all after one re-authentication.

        All or nothing: one note that cannot be signed (a required field empty) signs none, and the
        message names it.
        """
        if not note_ids:
            return []
        reauthenticate(self.session, secret, purpose=f"{len(note_ids)} notes")
        results = []
        with self.session.store.write(self._me) as s:
            for note_id in note_ids:
                note = s.get(Note, note_id)
                if note is not None and _status(note) is NoteStatus.IN_REVIEW and note.author_id != self._me:
                    results.append(self._cosign_one(s, note_id, ""))
                else:
                    results.append(self._sign_one(s, note_id))
        return results

    def _sign_one(self, s: Session, note_id: str) -> SignResult:
        note, body, client = self._note(s, note_id, Action.WRITE)
        facts = self._facts(s, note)
        try:
            status = lifecycle.status_after_sign(facts)
        except TransitionRefused as exc:
            raise SignatureRefused(str(exc)) from None
        template = template_by_id(s, note.template_id, note.note_type)
        content = self._content(body)
        missing = missing_required(template, content)
        if missing:
            raise SignatureRefused(f"The {template.name} of {note.service_date:%m/%d/%Y} for {display_name(client)} "
                                   f"cannot be signed yet: fill in {', '.join(missing)}.")
        when = now()
        note.content_hash = chain.content_hash(content)
        self._keep_version(s, note, content, "sign")
        if status is NoteStatus.IN_REVIEW:
            note.status, note.submitted_at, note.submitted_by = status.value, when, self._me
            action = "note_submitted"
        else:
            self._finalise(s, note, body, content, when, signer=self._me)
            action = "note_signed"
        audit.record(self.session, s, action=action, record_type="note", record_id=note.id, client_id=client.id,
                     summary=f"{template.name} of {note.service_date}; sha256 {note.content_hash}")
        self.session.events.emit(ChartDidChange(client.id, "note", note.id))
        return SignResult(note.id, status, note.content_hash)

    def _finalise(self, s: Session, note: Note, body: NoteBody, content: Mapping[str, str], when: datetime,
                  *, signer: str, cosigner: str | None = None) -> None:
        """The note becomes final and immutable: signature, content hash, link in the client's chain."""
        head = s.scalars(select(Note.chain_hash).where(Note.client_id == note.client_id,
                                                       Note.chain_hash.is_not(None), Note.id != note.id)
                         .order_by(Note.signed_at.desc(), Note.id.desc())).first()
        prev = head or chain.GENESIS
        note.status, note.signed_at, note.signed_by = NoteStatus.SIGNED.value, when, signer
        if cosigner:
            note.cosigned_at, note.cosigned_by = when, cosigner
        note.content_hash = chain.content_hash(content)
        note.prev_hash = prev
        note.chain_hash = chain.link_hash(prev_hash=prev, content_sha=note.content_hash, record_id=note.id,
                                          client_id=note.client_id, signed_at=_iso(when), signer_id=signer)
        body.signed_at = when

    # -- supervision -------------------------------------------------------------------------

    def _supervised(self, s: Session, note_id: str) -> tuple[Note, NoteBody, Client, NoteFacts]:
        note, body, client = self._note(s, note_id, Action.READ)
        require_clinical(self.session, s, client.id, Action.COSIGN)
        return note, body, client, self._facts(s, note)

    def cosign(self, note_id: str, secret: str, *, comment: str = "") -> SignResult:
        reauthenticate(self.session, secret, purpose="a co-signature")
        with self.session.store.write(self._me) as s:
            return self._cosign_one(s, note_id, comment)

    def _cosign_one(self, s: Session, note_id: str, comment: str) -> SignResult:
        note, body, client, facts = self._supervised(s, note_id)
        try:
            lifecycle.status_after_cosign(facts)
        except TransitionRefused as exc:
            raise SignatureRefused(str(exc)) from None
        content = self._content(body)
        if chain.content_hash(content) != note.content_hash:
            raise SignatureRefused("This note changed after its author signed it; return it to the author.")
        self._finalise(s, note, body, content, now(), signer=note.submitted_by or note.author_id,
                       cosigner=self._me)
        if comment.strip():
            self._add_comment(s, note, "cosign", comment)
        audit.record(self.session, s, action="note_cosigned", record_type="note", record_id=note.id,
                     client_id=client.id, summary=f"sha256 {note.content_hash}")
        self.session.events.emit(ChartDidChange(client.id, "note", note.id))
        return SignResult(note.id, NoteStatus.SIGNED, note.content_hash or "")

    def return_note(self, note_id: str, comment: str) -> None:
        """Send a note in review back to its author with what to change."""
        if not comment.strip():
            raise ValidationError({"comment": "Say what the author should change."})
        with self.session.store.write(self._me) as s:
            note, _, client, facts = self._supervised(s, note_id)
            try:
                note.status = lifecycle.status_after_return(facts).value
            except TransitionRefused as exc:
                raise SignatureRefused(str(exc)) from None
            note.submitted_at = note.submitted_by = note.content_hash = None
            self._add_comment(s, note, "return", comment)
            audit.record(self.session, s, action="note_returned", record_type="note", record_id=note.id,
                         client_id=client.id)
        self.session.events.emit(ChartDidChange(client.id, "note", note_id))

    def comment(self, note_id: str, text: str) -> None:
        if not text.strip():
            raise ValidationError({"comment": "Write the comment first."})
        with self.session.store.write(self._me) as s:
            note, _, client, _ = self._supervised(s, note_id)
            self._add_comment(s, note, "comment", text)
            audit.record(self.session, s, action="note_commented", record_type="note", record_id=note.id,
                         client_id=client.id)
        self.session.events.emit(ChartDidChange(client.id, "note", note_id))

    def _add_comment(self, s: Session, note: Note, kind: str, text: str) -> None:
        c = NoteComment(note_id=note.id, client_id=note.client_id, author_id=self._me, at=now(), kind=kind, text="")
        s.add(c)
        s.flush()
        c.text = seal_text(self.session, text.strip(), "note_comments", "text", c.id)

    # -- history -----------------------------------------------------------------------------

    def history(self, note_id: str) -> list[VersionInfo]:
        with self.session.store.write(self._me) as s:
            note, _, client = self._note(s, note_id, Action.READ)
            rows = s.scalars(select(NoteVersion).where(NoteVersion.note_id == note_id)
                             .order_by(NoteVersion.number)).all()
            audit.record(self.session, s, action="note_history_viewed", record_type="note", record_id=note.id,
                         client_id=client.id)
            return [VersionInfo(v.number, v.saved_at, user_name(s, v.saved_by), v.reason) for v in rows]

    def diff(self, note_id: str, older: int, newer: int) -> list[FieldDiff]:
        """What changed between two saved versions, field by field."""
        with self.session.store.read() as s:
            note, _, _ = self._note(s, note_id, Action.READ)
            template = template_by_id(s, note.template_id, note.note_type)
            versions = {v.number: v for v in s.scalars(select(NoteVersion).where(
                NoteVersion.note_id == note_id, NoteVersion.number.in_((older, newer))))}
            if older not in versions or newer not in versions:
                raise NotFound("That version of the note does not exist.")
            a, b = self._version_content(versions[older]), self._version_content(versions[newer])
        return diff_versions(a, b, [(f.key, f.label) for f in template.fields])

    # -- my notes ----------------------------------------------------------------------------

    def my_notes(self) -> MyNotes:
        """The clinician's workspace: drafts, returned notes, notes awaiting co-signature, my co-sign queue."""
        me = self._me
        with self.session.store.read() as s:
            mine = s.scalars(select(Note).where(Note.author_id == me, Note.deleted.is_(False),
                                                Note.status != NoteStatus.SIGNED.value)
                             .order_by(Note.service_date)).all()
            team = self.session.team_clinician_ids() if self.session.actor.role is Role.SUPERVISOR else frozenset()
            queue = s.scalars(select(Note).join(User, User.id == Note.author_id).where(
                User.supervisor_id == me, Note.status == NoteStatus.IN_REVIEW.value, Note.deleted.is_(False))
                .order_by(Note.service_date)).all() if team or self.session.actor.role is Role.SUPERVISOR else []
            due_rows = self._due_sessions(s)
            clients = {c.id: c for c in s.scalars(select(Client).where(
                Client.id.in_({n.client_id for n in [*mine, *queue]} | {r.client_id for r in due_rows})))}
            names, people = _type_names(s), _people(s)
            lines = {n.id: self._line(s, n, clients[n.client_id], names, people) for n in [*mine, *queue]}
        today = self.today()
        due = [DueSession(r.id, r.client_id, display_name(clients[r.client_id]), r.type_name, r.day,
                          bool(r.needs_cosign), lifecycle.age_in_days(r.day, today),
                          lifecycle.timeliness(r.day, today), lifecycle.age_label(r.day, today))
               for r in due_rows if r.client_id in clients]
        by = {st: [lines[n.id] for n in mine if _status(n) is st] for st in NoteStatus}
        return MyNotes(by[NoteStatus.DRAFT], by[NoteStatus.RETURNED], by[NoteStatus.IN_REVIEW],
                       [lines[n.id] for n in queue], due)

    def _due_sessions(self, s: Session) -> list[Any]:
        """My kept sessions before now with no note (any status, not deleted) written for them."""
        a = Appointment
        has_note = select(Note.id).where(Note.appointment_id == a.id, Note.deleted.is_(False)).exists()
        rows = s.execute(
            select(a.id, a.client_id, a.start_local, AppointmentType.name.label("type_name"),
                   AppointmentType.needs_cosign)
            .join(AppointmentType, AppointmentType.id == a.type_id)
            .where(a.provider_id == self._me, a.status.in_(("completed", "checked_in")), a.client_id.is_not(None),
                   a.group_id.is_(None), a.deleted.is_(False), ~has_note)
            .order_by(a.start_at)).all()
        today = self.today()
        out = []
        for r in rows:
            day = (r.start_local if isinstance(r.start_local, datetime)
                   else datetime.fromisoformat(str(r.start_local))).date()
            if day <= today:
                out.append(_Due(r.id, r.client_id, r.type_name, day, r.needs_cosign))
        return out

    def start_from_appointment(self, appointment_id: str, note_type: str = "soap") -> str:
        """A new draft for a session I held, linked to it (and routed for co-signature when its type
        asks for one)."""
        with self.session.store.read() as s:
            row = s.execute(select(Appointment.client_id, Appointment.start_local, AppointmentType.needs_cosign)
                            .join(AppointmentType, AppointmentType.id == Appointment.type_id)
                            .where(Appointment.id == appointment_id, Appointment.deleted.is_(False))).first()
        if row is None or row.client_id is None:
            raise NotFound("That session is not on this workstation (or has no client).")
        day = (row.start_local if isinstance(row.start_local, datetime)
               else datetime.fromisoformat(str(row.start_local))).date()
        return self.start(row.client_id, note_type, service_date=day, appointment_id=appointment_id,
                          appointment_requires_cosign=bool(row.needs_cosign))

    # -- the hash chain ----------------------------------------------------------------------

    def chain_records(self, client_id: str | None = None) -> list[chain.ChainRecord]:
        """Every signed note and addendum this user may read, as the chain verifier sees them."""
        seal_of(self.session)
        with self.session.store.read() as s:
            q = select(Note, NoteBody).join(NoteBody, NoteBody.note_id == Note.id).where(
                Note.chain_hash.is_not(None), Note.deleted.is_(False))
            if client_id:
                q = q.where(Note.client_id == client_id)
            out = []
            for note, body in s.execute(q):
                try:
                    require_clinical(self.session, s, note.client_id, Action.READ)
                except PermissionDenied:
                    continue
                try:
                    content = self._content(body)
                except MentalSpaceError:
                    content = {"": "(the sealed text does not open)"}
                label = (f"{note.note_type} note of {note.service_date} "
                         f"(client {note.client_id[:8]}, note {note.id[:8]})")
                out.append(chain.ChainRecord(note.id, note.client_id, _iso(note.signed_at), note.signed_by or "",
                                             content, note.content_hash or "", note.prev_hash or "",
                                             note.chain_hash or "", label))
        return out


def _aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _iso(dt: datetime | None) -> str:
    return _aware(dt).replace(microsecond=0).isoformat() if dt else ""


def _people(s: Session) -> dict[str, str]:
    """Every staff member's name by id, read once for a list (not one query per row)."""
    return {str(i): str(n) for i, n in s.execute(select(User.id, User.full_name))}


def _type_names(s: Session) -> dict[str, str]:
    return {t.note_type: t.name for t in newest_templates(s)}

