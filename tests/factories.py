"""Building real practices for tests: an encrypted store on disk, users of each role, clients."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.services import totp
from mentalspace_desktop.services.accounts import AccountService, Authenticator, NewUser
from mentalspace_desktop.services.clients import ClientInput, ClientService
from mentalspace_desktop.services.clinical_keys import reads_clinical
from mentalspace_desktop.services.session import Actor, UserSession, actor_of
from mentalspace_desktop.store import signing
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyslots import KeySlots
from mentalspace_desktop.store.models import Client, Note, NoteBody, User
from mentalspace_desktop.store.opening import open_store
from mentalspace_desktop.store.signing import Signer
from mentalspace_desktop.store.types import utcnow

PASSWORD = "Blue-Heron-Lantern-42"
ADMIN_PASSWORD = "Quiet-Maple-Orchard-17"


@dataclass
class PracticeFixture:
    data_dir: Path
    admin: UserSession
    admin_totp_secret: str
    backup_codes: list[str]
    users: dict[str, str] = field(default_factory=dict)  # key -> user id
    sessions: dict[str, UserSession] = field(default_factory=dict)
    # key -> (clinical key, signing key) from each person's own key slot, as their sign-in opens it
    keys: dict[str, tuple[bytes | None, bytes]] = field(default_factory=dict)

    @property
    def files(self) -> StoreFiles:
        return StoreFiles(self.data_dir)

    def session_for(self, key: str) -> UserSession:
        """A signed-in session of one of the fixture's users (sharing the admin's open store).

        It holds what their sign-in would: the clinical key (for roles that read clinical text) and
        their signing key, which signs what they write here from now on.
        """
        if key == "admin":
            return self.admin
        if key not in self.sessions:
            services = AccountService(self.admin)
            view = next(u for u in services.list_users() if u.id == self.users[key])
            actor = Actor(view.id, view.username, view.full_name, view.role)
            if key not in self.keys:
                self.keys[key] = open_keys(self.admin.slots, view.username, view.role)
            clinical_key, signing_key = self.keys[key]
            signing.install(self.admin.store.engine, Signer(view.id, signing_key))
            self.sessions[key] = UserSession(self.admin.store, self.admin.slots, actor, self.admin.events,
                                             clinical_key=clinical_key, signing_key=signing_key)
        return self.sessions[key]

    def add_client(self, *, clinician: str | None = None, last: str = "Rivera", first: str = "Sam",
                   dob: date = date(1988, 6, 1), **extra: object) -> Client:
        data = ClientInput(first_name=first, last_name=last, dob=dob,
                           primary_clinician_id=self.users[clinician] if clinician else None, **extra)  # type: ignore[arg-type]
        return ClientService(self.admin).register(data)

    def close(self) -> None:
        self.admin.close()


def open_keys(slots: KeySlots, username: str, role: Role, password: str = PASSWORD) -> tuple[bytes | None, bytes]:
    """(clinical key, signing key) of a person's slot, completed as their first sign-in completes it."""
    opened = slots.complete_slot(slots.open_slot(username, password), reads_clinical=reads_clinical(role))
    assert opened.signing_key is not None
    return opened.clinical_key, opened.signing_key


def make_practice(data_dir: Path) -> PracticeFixture:
    secret = totp.new_secret()
    enrollment = Authenticator(StoreFiles(data_dir)).create_practice(
        practice_name="Peachtree Counseling",
        time_zone="America/New_York",
        admin=NewUser("admin", "Avery Admin", Role.ADMIN, ADMIN_PASSWORD),
        totp_secret=secret,
    )
    fixture = PracticeFixture(data_dir, enrollment.session, secret, enrollment.backup_codes)
    accounts = AccountService(enrollment.session)
    fixture.users["admin"] = enrollment.session.actor.user_id
    fixture.users["supervisor"] = accounts.create_user(
        NewUser("sup", "Sloane Supervisor", Role.SUPERVISOR, PASSWORD, license_type="LPC"))
    fixture.users["clinician"] = accounts.create_user(
        NewUser("clin", "Casey Clinician", Role.CLINICIAN, PASSWORD, license_type="LPC-Associate",
                supervisor_id=fixture.users["supervisor"]))
    fixture.users["other_clinician"] = accounts.create_user(
        NewUser("oclin", "Owen Otherclin", Role.CLINICIAN, PASSWORD, license_type="LCSW"))
    fixture.users["billing"] = accounts.create_user(NewUser("bill", "Billie Biller", Role.BILLING, PASSWORD))
    fixture.users["front_desk"] = accounts.create_user(NewUser("desk", "Dana Desk", Role.FRONT_DESK, PASSWORD))
    return fixture


@dataclass(frozen=True)
class PracticeTemplate:
    """A practice built once (Argon2 is slow on purpose) and copied for each test that needs one.

    Only tests keep the master key in memory like this; a copy opens with it exactly as a sign-in
    would after unwrapping a key slot, so the product's key derivation stays as strong as ever.
    """

    data_dir: Path
    master_key: bytes
    clinical_key: bytes
    admin_signing_key: bytes
    admin_totp_secret: str
    backup_codes: tuple[str, ...]
    users: tuple[tuple[str, str], ...]
    user_keys: tuple[tuple[str, tuple[bytes | None, bytes]], ...] = ()  # opened once: Argon2 is slow


def build_practice_template(data_dir: Path) -> PracticeTemplate:
    fixture = make_practice(data_dir)
    assert fixture.admin.clinical_key is not None and fixture.admin.signing_key is not None
    for key in fixture.users:
        fixture.session_for(key)  # opens and completes each person's slot (the copies share the file)
    template = PracticeTemplate(data_dir, fixture.admin.store.master_key, fixture.admin.clinical_key,
                                fixture.admin.signing_key, fixture.admin_totp_secret,
                                tuple(fixture.backup_codes), tuple(fixture.users.items()),
                                tuple(fixture.keys.items()))
    fixture.close()  # the last connection to close checkpoints the WAL into store.db
    return template


def practice_from_template(template: PracticeTemplate, data_dir: Path) -> PracticeFixture:
    """An independent copy of the template practice, open and signed in as its administrator."""
    shutil.copytree(template.data_dir, data_dir)
    files = StoreFiles(data_dir)
    store = open_store(files, template.master_key)
    users = dict(template.users)
    with store.read() as s:
        admin_row = s.get(User, users["admin"])
    assert admin_row is not None
    admin = UserSession(store, KeySlots.load(files.key_slots), actor_of(admin_row),
                        clinical_key=template.clinical_key, signing_key=template.admin_signing_key)
    signing.install(store.engine, Signer(admin_row.id, template.admin_signing_key))
    return PracticeFixture(data_dir, admin, template.admin_totp_secret, list(template.backup_codes), users,
                           keys=dict(template.user_keys))


# -- notes, written straight into a store as one user (there is no charting service yet) -------------


def add_note(store: Store, author_id: str, client_id: str, *, body: str, service_date: date = date(2025, 3, 14),
             note_type: str = "progress", addendum_to: str | None = None) -> tuple[str, str]:
    """A draft note and its body, written as ``author_id`` in one transaction; returns (note id, body id)."""
    note_id, body_id = new_id(), new_id()
    with store.write(author_id) as s:
        s.add(Note(id=note_id, client_id=client_id, author_id=author_id, note_type=note_type,
                   service_date=service_date, addendum_to=addendum_to))
        s.flush()  # the body's foreign key names the note
        s.add(NoteBody(id=body_id, note_id=note_id, client_id=client_id, body=body))
    return note_id, body_id


def _note_and_body(s: Session, note_id: str) -> tuple[Note, NoteBody]:
    note = s.get(Note, note_id)
    body = s.scalars(select(NoteBody).where(NoteBody.note_id == note_id)).one()
    assert note is not None
    return note, body


def sign_note(store: Store, user_id: str, note_id: str, *, at: datetime | None = None) -> datetime:
    """Sign a note as its author would: the note and its body both carry the signature time."""
    when = at or utcnow()
    with store.write(user_id) as s:
        note, body = _note_and_body(s, note_id)
        note.status, note.signed_at, note.signed_by = "signed", when, user_id
        body.signed_at = when
    return when


def cosign_note(store: Store, user_id: str, note_id: str, *, at: datetime | None = None) -> datetime:
    """A supervisor's co-signature: only the note's co-signature fields change."""
    when = at or utcnow()
    with store.write(user_id) as s:
        note, _ = _note_and_body(s, note_id)
        note.cosigned_at, note.cosigned_by = when, user_id
    return when


def edit_note_body(store: Store, user_id: str, note_id: str, text: str) -> None:
    with store.write(user_id) as s:
        _, body = _note_and_body(s, note_id)
        body.body = text
