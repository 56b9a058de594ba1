"""Accounts: creating a practice, signing in (password, then one-time code), passwords, user admin."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.lockout import AttemptState
from mentalspace_desktop.domain.passwords import password_problem
from mentalspace_desktop.domain.roles import Action, Resource, Role
from mentalspace_desktop.errors import (
    AccountInactive,
    AccountLocked,
    AuthenticationError,
    NotFound,
    ValidationError,
)
from mentalspace_desktop.resources import common_passwords
from mentalspace_desktop.services import audit, clinical_keys, totp
from mentalspace_desktop.services.events import EventBus, PracticeDidChange, UserDidChange
from mentalspace_desktop.services.permissions import require_any
from mentalspace_desktop.services.session import UserSession, actor_of
from mentalspace_desktop.store import signing
from mentalspace_desktop.store.database import Store
from mentalspace_desktop.store.files import StoreFiles
from mentalspace_desktop.store.keyfile_journal import WITNESS_KEY
from mentalspace_desktop.store.keyslots import DEFAULT_KDF, KdfParams, KeySlots, OpenedSlot
from mentalspace_desktop.store.models import BackupCode, Practice, SyncState, User
from mentalspace_desktop.store.opening import create_store, open_store
from mentalspace_desktop.store.signing import Signer

LICENSE_TYPES = (
    "LPC",
    "LPC-Associate",
    "LMFT",
    "LMFT-Associate",
    "LMSW",
    "LCSW",
    "Psychologist",
    "Psychiatrist",
    "Psychiatric NP",
    "CPCS",
)

_hasher = PasswordHasher()


def _now() -> datetime:
    return datetime.now(UTC)


def check_password(password: str, *, username: str = "", full_name: str = "") -> None:
    problem = password_problem(password, common=common_passwords(), user_name=username, full_name=full_name)
    if problem:
        raise ValidationError({"password": problem}, problem)


def _locked_message(state: AttemptState) -> AccountLocked:
    until = state.locked_until
    assert until is not None
    local = until.astimezone().strftime("%H:%M")
    return AccountLocked(
        f"Too many failed sign-in attempts. This account is locked until {local}. "
        "An administrator can unlock it sooner.",
        until,
    )


@dataclass
class NewUser:
    username: str
    full_name: str
    role: Role
    password: str
    email: str | None = None
    license_type: str | None = None
    license_number: str | None = None
    supervisor_id: str | None = None
    hipaa_training_on: date | None = None


@dataclass
class Enrollment:
    """What the first-run screen shows once: the backup codes (the TOTP secret was shown before)."""

    session: UserSession
    backup_codes: list[str]


@dataclass
class PendingSignIn:
    """A password accepted: the store is open, the one-time code (or enrollment) is still to come."""

    store: Store
    slots: KeySlots
    user_id: str
    username: str
    needs_enrollment: bool
    must_change_password: bool
    is_demo: bool
    events: EventBus = field(default_factory=EventBus)
    opened: OpenedSlot | None = field(default=None, repr=False)  # the person's own secrets

    def demo_code(self) -> str | None:
        """In the demo practice only, the current code, so a visitor can sign in without a phone."""
        if not self.is_demo:
            return None
        with self.store.read() as s:
            secret = s.get(User, self.user_id).totp_secret  # type: ignore[union-attr]
        return totp.current_code(secret) if secret else None

    def practice_name(self) -> str:
        """The practice's name, for the label an authenticator app shows next to the code."""
        with self.store.read() as s:
            practice = s.scalars(select(Practice)).first()
        return practice.name if practice else ""

    def full_name(self) -> str:
        """The user's full name, for greeting them during the code and enrollment steps."""
        with self.store.read() as s:
            user = s.get(User, self.user_id)
        return user.full_name if user else self.username

    def cancel(self) -> None:
        self.store.close()


@dataclass
class HubPendingSignIn:
    """A first sign-in on a workstation connected to a hub: the hub checks password and code together.

    The person has no key slot here yet, so nothing can be opened until the hub has confirmed them
    (sync/device_key.py). Offers what the sign-in screen asks of any pending sign-in.
    """

    slots: KeySlots
    username: str
    password: str = field(repr=False)
    needs_enrollment: bool = False
    must_change_password: bool = False  # known once the hub has confirmed them and the store is open
    is_demo: bool = False
    via_hub: bool = True

    def demo_code(self) -> None:
        return None

    def practice_name(self) -> str:
        return ""

    def full_name(self) -> str:
        return self.username

    def cancel(self) -> None:
        self.password = ""


# One message whether the user name is unknown or the password wrong, so the screen never confirms that a
# name exists; the count of attempts left is shown only after the password step (code, lock screen).
WRONG_CREDENTIALS = (
    "The user name or password is incorrect. After 5 failed attempts in a row the account is locked "
    "for 15 minutes."
)


def _audit_pre_open(slots: KeySlots, *, username: str, action: str, summary: str) -> None:
    slots.queue_audit({"at": _now().isoformat(), "username": username, "action": action, "summary": summary})


class Authenticator:
    """Signing in to one store. Knows nothing of windows: the GUI and the command line both use it."""

    def __init__(self, files: StoreFiles, *, kdf: KdfParams = DEFAULT_KDF,
                 hub_client_factory: Callable[..., Any] | None = None) -> None:
        self.files = files
        self.kdf = kdf
        self.hub_client_factory = hub_client_factory  # tests: a client with short timeouts

    def store_exists(self) -> bool:
        return self.files.exists()

    # -- first run ---------------------------------------------------------------------------

    def create_practice(
        self,
        *,
        practice_name: str,
        time_zone: str,
        admin: NewUser,
        totp_secret: str,
        is_demo: bool = False,
        created_at: datetime | None = None,
    ) -> Enrollment:
        """Create the store, the practice and its first administrator, already enrolled in TOTP.

        ``created_at`` back-dates the creation's audit entry; only the demo practice, whose story
        starts a year ago, passes it (its history must follow in time order).
        """
        errors = {}
        if not practice_name.strip():
            errors["practice_name"] = "Enter the practice's name."
        if not admin.username.strip():
            errors["username"] = "Choose a user name."
        if not admin.full_name.strip():
            errors["full_name"] = "Enter the administrator's full name."
        problem = password_problem(
            admin.password, common=common_passwords(), user_name=admin.username, full_name=admin.full_name,
            practice_name=practice_name)
        if problem:
            errors["password"] = problem
        if errors:
            raise ValidationError(errors)
        store, slots = create_store(self.files)
        clinical_key = clinical_keys.key_for_new_practice()  # the practice's; the administrator's slot wraps it
        user = _new_user_row(admin, role=Role.ADMIN)
        user.id = new_id()
        signing_key = signing.new_private_key()  # the practice's first writes are signed as theirs too
        signing.install(store.engine, Signer(user.id, signing_key))
        try:
            with store.write(user.id) as s:
                s.add(Practice(name=practice_name.strip(), time_zone=time_zone, is_demo=is_demo))
                user.totp_secret = totp_secret
                s.add(user)
                s.flush()
                codes = _replace_backup_codes(s, user.id)
                audit.append(
                    s, store, user_id=user.id, username=user.username, action="create",
                    record_type="practice", summary=f"Practice {practice_name.strip()} created",
                    at=created_at,
                )
            opened = slots.set_slot(
                username=user.username, user_id=user.id, password=admin.password,
                master_key=store.master_key, kdf=self.kdf, clinical_key=clinical_key, signing_key=signing_key,
            )
            slots.authorize(store.master_key)
            slots.seal_journal(store.master_key)
            _witness_journal(store)
        except BaseException:
            store.close()
            raise
        return Enrollment(UserSession(store, slots, actor_of(user), clinical_key=clinical_key,
                                      signing_key=opened.signing_key), codes)

    # -- sign in -----------------------------------------------------------------------------

    def begin(self, username: str, password: str) -> PendingSignIn | HubPendingSignIn:
        """Check the password: open the store with the user's key slot, or count a failure.

        On a workstation connected to a hub, a name without a slot here may be a colleague signing in
        here for the first time: the code step then asks the hub (which also counts failures).
        """
        username = username.strip()
        slots = KeySlots.load(self.files.key_slots)
        state = slots.attempts(username)
        now = _now()
        if state.is_locked(now):
            raise _locked_message(state)
        try:
            opened = slots.open_slot(username, password)
        except AccountInactive:
            raise
        except AuthenticationError:
            if slots.has_slot(username):
                state = state.after_failure(now)
                slots.set_attempts(username, state)
                _audit_pre_open(slots, username=username, action="login_failed", summary="wrong password")
                if state.is_locked(now):
                    _audit_pre_open(slots, username=username, action="account_locked", summary="5 failed attempts")
                    raise _locked_message(state) from None
                raise AuthenticationError(WRONG_CREDENTIALS) from None
            if slots.hub is not None:
                return HubPendingSignIn(slots, username, password)
            raise AuthenticationError(WRONG_CREDENTIALS) from None  # same words: no hint the name exists
        store = open_store(self.files, opened.master_key)
        try:
            with store.read() as s:
                user = s.get(User, opened.user_id)
                practice = s.scalars(select(Practice)).first()
            if user is None or user.deleted:
                raise AuthenticationError("The user name or password is incorrect.")
            if not user.active:
                raise AccountInactive("This account has been deactivated. Ask an administrator.")
            # Their password is proven: their key signs what is written in their name from now on
            # (a wrong code, recorded next, included).
            opened = slots.complete_slot(opened, reads_clinical=clinical_keys.reads_clinical(Role(user.role)))
            assert opened.signing_key is not None
            signing.install(store.engine, Signer(user.id, opened.signing_key))
        except BaseException:
            store.close()
            raise
        return PendingSignIn(
            store=store,
            slots=slots,
            user_id=user.id,
            username=user.username,
            needs_enrollment=user.totp_secret is None,
            must_change_password=user.must_change_password,
            is_demo=bool(practice and practice.is_demo),
            opened=opened,
        )

    def complete(self, pending: PendingSignIn | HubPendingSignIn, code: str, *, now: float | None = None
                 ) -> UserSession:
        """Check the one-time code (or a backup code) and finish signing in."""
        if isinstance(pending, HubPendingSignIn):
            return self._complete_through_hub(pending, code)
        state = pending.slots.attempts(pending.username)
        if state.is_locked(_now()):
            raise _locked_message(state)
        with pending.store.write(pending.user_id) as s:
            user = s.get(User, pending.user_id)
            assert user is not None
            method = _check_second_factor(s, user, code, now=now)
            if method is None:
                audit.append(s, pending.store, user_id=user.id, username=user.username,
                             action="login_failed", record_type="user", record_id=user.id,
                             summary="wrong one-time code")
        if method is None:
            state = state.after_failure(_now())
            pending.slots.set_attempts(pending.username, state)
            if state.is_locked(_now()):
                raise _locked_message(state)
            raise AuthenticationError(
                f"That code is not correct. {state.attempts_left()} attempt(s) left before the account locks."
            )
        return self._finish(pending, method)

    def _complete_through_hub(self, pending: HubPendingSignIn, code: str) -> UserSession:
        from mentalspace_desktop.sync.device_key import sign_in_through_hub

        confirmed = sign_in_through_hub(self.files, pending.slots, username=pending.username,
                                        password=pending.password, code=code, kdf=self.kdf,
                                        factory=self.hub_client_factory)
        confirmed.client.close()
        store = confirmed.store
        try:
            with store.read() as s:
                user = s.get(User, confirmed.user_id)
                practice = s.scalars(select(Practice)).first()
            if user is None or user.deleted or not user.active:
                raise AccountInactive("This account has been deactivated. Ask an administrator.")
        except BaseException:
            store.close()
            raise
        pending.must_change_password = user.must_change_password
        pending.password = ""
        opened = PendingSignIn(store=store, slots=pending.slots, user_id=user.id, username=user.username,
                               needs_enrollment=False, must_change_password=user.must_change_password,
                               is_demo=bool(practice and practice.is_demo), opened=confirmed.opened)
        return self._finish(opened, "hub-confirmed, first sign-in on this workstation")

    def enroll(self, pending: PendingSignIn, *, secret: str, code: str) -> tuple[UserSession, list[str]]:
        """First sign-in of a user without TOTP: confirm their app with a code, issue backup codes."""
        if not pending.needs_enrollment:
            raise AuthenticationError("This account already has an authenticator.")
        step = totp.matching_step(secret, code)
        if step is None:
            raise ValidationError({"code": "That code does not match. Check the time on your phone and try again."})
        with pending.store.write(pending.user_id) as s:
            user = s.get(User, pending.user_id)
            assert user is not None
            user.totp_secret = secret
            user.totp_last_step = step
            codes = _replace_backup_codes(s, user.id)
            audit.append(s, pending.store, user_id=user.id, username=user.username, action="mfa_enrolled",
                         record_type="user", record_id=user.id, summary="authenticator app enrolled")
        return self._finish(pending, "enrollment"), codes

    def _finish(self, pending: PendingSignIn, method: str) -> UserSession:
        store, slots = pending.store, pending.slots
        opened = pending.opened
        if opened is not None and opened.signing_key is not None:  # everything below is written as theirs
            signing.install(store.engine, Signer(pending.user_id, opened.signing_key))
        slots.authorize(store.master_key)  # this sign-in may reset counters and clear queued events
        tampered = slots.journal_problems(store.master_key, witnessed=store.get_state(WITNESS_KEY) == "1")
        slots.set_attempts(pending.username, AttemptState())
        queued = slots.pending_audit()
        with store.write(pending.user_id) as s:
            for event in queued:
                # Attempts made before anyone signed in: the workstation saw them; nobody proven made them.
                audit.append(s, store, user_id=None, username=event["username"], action=event["action"],
                             record_type="user", record_id=slots.user_id_of(event["username"]),
                             summary=event["summary"], at=datetime.fromisoformat(event["at"]))
            user = s.get(User, pending.user_id)
            assert user is not None
            for problem in tampered:
                audit.append(s, store, user_id=user.id, username=user.username, action="keyfile_tampered",
                             record_type="user", summary=problem)
            user.last_login_at = _now()
            audit.append(s, store, user_id=user.id, username=user.username, action="login",
                         record_type="user", record_id=user.id, summary=f"signed in ({method})")
            actor = actor_of(user)
        slots.clear_pending_audit(len(queued))
        slots.seal_journal(store.master_key)
        _witness_journal(store)
        if opened is None:  # only a store opened some other way (never the sign-in paths above)
            return UserSession(store, slots, actor, pending.events)
        opened = clinical_keys.settle_at_sign_in(store, slots, opened, actor.role)
        assert opened.signing_key is not None
        signer = Signer(actor.user_id, opened.signing_key)
        signing.install(store.engine, signer)
        _sign_changes_from_before_signatures(store, signer)
        return UserSession(store, slots, actor, pending.events, clinical_key=opened.clinical_key,
                           signing_key=opened.signing_key)

    # -- while signed in ---------------------------------------------------------------------

    def verify_password(self, session: UserSession, password: str) -> None:
        """Unlock an idle-locked screen. Failures count toward the lockout like any sign-in."""
        username = session.actor.username
        state = session.slots.attempts(username)
        now = _now()
        if state.is_locked(now):
            raise _locked_message(state)
        try:
            session.slots.unwrap(username, password)
        except AuthenticationError:
            state = state.after_failure(now)
            session.slots.set_attempts(username, state)
            with session.store.write(session.actor.user_id) as s:
                audit.record(session, s, action="unlock_failed", record_type="user",
                             record_id=session.actor.user_id, summary="wrong password at lock screen")
            if state.is_locked(now):
                raise _locked_message(state) from None
            raise AuthenticationError(
                f"The password is incorrect. {state.attempts_left()} attempt(s) left before the account locks."
            ) from None
        session.slots.set_attempts(username, AttemptState())
        with session.store.write(session.actor.user_id) as s:
            audit.record(session, s, action="unlock", record_type="user", record_id=session.actor.user_id)


def _witness_journal(store: Store) -> None:
    """Record in the store that the key file's journal is sealed: deleting it is then noticed."""
    if store.get_state(WITNESS_KEY) != "1":
        with store.write() as s:
            s.merge(SyncState(key=WITNESS_KEY, value="1"))


def _sign_changes_from_before_signatures(store: Store, signer: Signer) -> None:
    """This person's changes queued before this version (migration 0009 fixed which): sign them now."""
    mark = store.get_state(signing.LEGACY_MARK)
    if mark and mark.isdigit() and int(mark) > 0:
        with store.write() as s:
            signing.sign_legacy(s, signer, until_seq=int(mark))


def _check_second_factor(s: Session, user: User, code: str, *, now: float | None) -> str | None:
    if user.totp_secret:
        step = totp.matching_step(user.totp_secret, code, now=now)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step
            return "authenticator code"
    if totp.looks_like_backup_code(code):
        digest = totp.backup_code_hash(user.id, code)
        row = s.scalars(
            select(BackupCode).where(
                BackupCode.user_id == user.id, BackupCode.code_hash == digest,
                BackupCode.used_at.is_(None), BackupCode.deleted.is_(False),
            )
        ).first()
        if row is not None:
            row.used_at = _now()
            return "backup code"
    return None


def _replace_backup_codes(s: Session, user_id: str) -> list[str]:
    for old in s.scalars(select(BackupCode).where(BackupCode.user_id == user_id, BackupCode.deleted.is_(False))):
        old.deleted = True
    codes = totp.new_backup_codes()
    s.add_all(BackupCode(user_id=user_id, code_hash=totp.backup_code_hash(user_id, c)) for c in codes)
    return codes


def _new_user_row(new: NewUser, *, role: Role) -> User:
    return User(
        username=new.username.strip(),
        full_name=new.full_name.strip(),
        email=(new.email or "").strip() or None,
        role=role.value,
        license_type=new.license_type,
        license_number=new.license_number,
        supervisor_id=new.supervisor_id,
        hipaa_training_on=new.hipaa_training_on,
        password_hash=_hasher.hash(new.password),
    )


@dataclass(frozen=True)
class UserView:
    id: str
    username: str
    full_name: str
    role: Role
    license_type: str | None
    supervisor_id: str | None
    supervisor_name: str | None
    hipaa_training_on: date | None
    active: bool
    mfa_enrolled: bool
    locked: bool
    last_login_at: datetime | None
    email: str | None


class AccountService:
    """What a signed-in user does with accounts: their own password, and (administrators) everyone's."""

    def __init__(self, session: UserSession, *, kdf: KdfParams = DEFAULT_KDF) -> None:
        self.session = session
        self.kdf = kdf

    @property
    def _store(self) -> Store:
        return self.session.store

    def change_password(self, *, current: str, new: str) -> None:
        actor = self.session.actor
        try:
            self.session.slots.unwrap(actor.username, current)
        except AuthenticationError:
            raise ValidationError({"current": "The current password is not correct."}) from None
        if new == current:
            raise ValidationError({"password": "The new password must differ from the current one."})
        check_password(new, username=actor.username, full_name=actor.full_name)
        with self._store.write(actor.user_id) as s:
            user = s.get(User, actor.user_id)
            assert user is not None
            user.password_hash = _hasher.hash(new)
            user.must_change_password = False
            audit.record(self.session, s, action="password_changed", record_type="user", record_id=user.id)
        self.session.slots.set_slot(
            username=actor.username, user_id=actor.user_id, password=new,
            master_key=self._store.master_key, kdf=self.kdf,
            clinical_key=self.session.clinical_key, signing_key=self.session.signing_key,
        )

    # -- administration ----------------------------------------------------------------------

    def _require_admin(self, action: Action = Action.WRITE) -> None:
        require_any(self.session, Resource.ADMINISTRATION, action)

    def list_users(self) -> list[UserView]:
        """Staff list; every role may see who works here (names are needed to assign clinicians)."""
        with self._store.read() as s:
            users = list(s.scalars(select(User).where(User.deleted.is_(False)).order_by(User.full_name)))
        names = {u.id: u.full_name for u in users}
        now = _now()
        return [
            UserView(u.id, u.username, u.full_name, Role(u.role), u.license_type, u.supervisor_id,
                     names.get(u.supervisor_id or ""), u.hipaa_training_on, u.active, u.totp_secret is not None,
                     self.session.slots.attempts(u.username).is_locked(now), u.last_login_at, u.email)
            for u in users
        ]

    def create_user(self, new: NewUser, *, created_at: datetime | None = None) -> str:
        """Create a staff account with a temporary password; they enroll TOTP at first sign-in.

        ``created_at`` back-dates the audit entry (the demo practice's year of history); None is now.
        """
        self._require_admin()
        errors = {}
        if not new.username.strip() or not new.username.strip().replace(".", "").replace("_", "").isalnum():
            errors["username"] = "A user name is letters and digits (dots and underscores allowed)."
        if not new.full_name.strip():
            errors["full_name"] = "Enter the person's full name."
        problem = password_problem(new.password, common=common_passwords(), user_name=new.username,
                                   full_name=new.full_name, practice_name=self._store.practice_name())
        if problem:
            errors["password"] = problem
        with self._store.read() as s:
            taken = s.scalar(select(User.id).where(User.username == new.username.strip()))
        if taken or self.session.slots.has_slot(new.username.strip()):
            errors["username"] = "That user name is taken."
        self._check_supervisor(new.role, new.supervisor_id, errors)
        if errors:
            raise ValidationError(errors)
        with self._store.write(self.session.actor.user_id) as s:
            user = _new_user_row(new, role=new.role)
            user.must_change_password = True
            s.add(user)
            s.flush()
            audit.record(self.session, s, action="user_created", record_type="user", record_id=user.id,
                         summary=f"{user.username} as {new.role.label}", at=created_at)
        made = self.session.slots.set_slot(username=user.username, user_id=user.id, password=new.password,
                                           master_key=self._store.master_key, kdf=self.kdf,
                                           clinical_key=self._clinical_key_for(new.role))
        self._vouch(made)
        self.session.events.emit(UserDidChange(user.id))
        return user.id

    def _check_supervisor(self, role: Role, supervisor_id: str | None, errors: dict[str, str]) -> None:
        if supervisor_id is None:
            return
        with self._store.read() as s:
            sup = s.get(User, supervisor_id)
        if sup is None or Role(sup.role) not in (Role.SUPERVISOR, Role.ADMIN) or not sup.active:
            errors["supervisor_id"] = "The supervisor must be an active supervisor."

    def update_user(
        self,
        user_id: str,
        *,
        role: Role | None = None,
        license_type: str | None = None,
        supervisor_id: str | None = None,
        clear_supervisor: bool = False,
        hipaa_training_on: date | None = None,
        full_name: str | None = None,
        email: str | None = None,
    ) -> None:
        self._require_admin()
        errors: dict[str, str] = {}
        if supervisor_id == user_id:
            errors["supervisor_id"] = "A person cannot supervise themselves."
        with self._store.read() as s:
            current = s.get(User, user_id)
        if current is None:
            raise NotFound("That user no longer exists.")
        self._check_supervisor(role or Role(current.role), supervisor_id, errors)
        if role is not None and user_id == self.session.actor.user_id and role is not Role.ADMIN:
            errors["role"] = "You cannot remove your own administrator role."
        if errors:
            raise ValidationError(errors)
        changed = []
        with self._store.write(self.session.actor.user_id) as s:
            user = s.get(User, user_id)
            assert user is not None
            for attr, value in (("role", role.value if role else None), ("license_type", license_type),
                                ("supervisor_id", supervisor_id), ("hipaa_training_on", hipaa_training_on),
                                ("full_name", full_name), ("email", email)):
                if value is not None and getattr(user, attr) != value:
                    setattr(user, attr, value)
                    changed.append(attr)
            if clear_supervisor and user.supervisor_id is not None:
                user.supervisor_id = None
                changed.append("supervisor_id")
            if changed:
                audit.record(self.session, s, action="user_updated", record_type="user", record_id=user.id,
                             summary="changed " + ", ".join(changed))
        if "role" in changed:
            self._rekey_for_role(current.username, Role(user.role))
        if changed:
            self.session.events.emit(UserDidChange(user_id))

    def _vouch(self, made: OpenedSlot) -> None:
        """Sign, as this administrator, the new key made for a colleague here: the hub registers it on
        that word, so their first work (their own enrollment included) need not wait for a hub sign-in."""
        if self.session.signing_key is None or made.signing_key is None:
            return
        mine = Signer(self.session.actor.user_id, self.session.signing_key)
        theirs = Signer(made.user_id, made.signing_key)
        message = signing.vouch_message(device_id=self._store.device_id, user_id=made.user_id,
                                        public_b64=theirs.public_b64)
        signature = mine.sign(message)
        self.session.slots.set_vouch(made.username, {
            "by": mine.user_id, "key": mine.key_id, "sig": base64.b64encode(signature.value).decode()})

    def _clinical_key_for(self, role: Role) -> bytes | None:
        """The clinical key for a slot being made, if the role reads clinical text (and we hold it)."""
        return self.session.clinical_key if clinical_keys.reads_clinical(role) else None

    def _rekey_for_role(self, username: str, role: Role) -> None:
        """A role change: the clinical key leaves a slot whose role may no longer read clinical text, or
        is granted (sealed to their box key) to one that now may; they take it at their next sign-in."""
        slots = self.session.slots
        if not clinical_keys.reads_clinical(role):
            slots.drop_clinical_key(username)
        elif self.session.clinical_key is not None:
            slots.grant_clinical_key(username, self.session.clinical_key)

    def set_active(self, user_id: str, active: bool, *, temporary_password: str | None = None) -> None:
        """Deactivate (their key slot on this workstation is destroyed at once, so their password no
        longer decrypts the store) or reactivate (with a temporary password for a new slot)."""
        self._require_admin()
        if user_id == self.session.actor.user_id and not active:
            raise ValidationError({"active": "You cannot deactivate your own account."})
        with self._store.read() as s:
            current = s.get(User, user_id)
        if current is None:
            raise NotFound("That user no longer exists.")
        needs_slot = active and not self.session.slots.has_slot(current.username)
        if needs_slot:
            if not temporary_password:
                raise ValidationError({"password": "Give a temporary password to reactivate this account."})
            check_password(temporary_password, username=current.username, full_name=current.full_name)
        with self._store.write(self.session.actor.user_id) as s:
            user = s.get(User, user_id)
            assert user is not None
            user.active = active
            if needs_slot:
                user.password_hash = _hasher.hash(temporary_password or "")
                user.must_change_password = True
            audit.record(self.session, s, action="user_activated" if active else "user_deactivated",
                         record_type="user", record_id=user.id, summary=user.username)
        if not active:
            self.session.slots.deactivate(current.username)
        elif needs_slot and temporary_password:
            self._vouch(self.session.slots.set_slot(
                username=current.username, user_id=user_id, password=temporary_password,
                master_key=self._store.master_key, kdf=self.kdf,
                clinical_key=self._clinical_key_for(Role(current.role))))
        self.session.events.emit(UserDidChange(user_id))

    def reset_mfa(self, user_id: str) -> None:
        """Forget a user's authenticator and backup codes; they enroll again at next sign-in."""
        self._require_admin()
        with self._store.write(self.session.actor.user_id) as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("That user no longer exists.")
            user.totp_secret = None
            user.totp_last_step = None
            s.execute(update(BackupCode).where(BackupCode.user_id == user_id).values(deleted=True))
            audit.record(self.session, s, action="mfa_reset", record_type="user", record_id=user.id,
                         summary=user.username)
        self.session.events.emit(UserDidChange(user_id))

    def reset_password(self, user_id: str, temporary_password: str) -> None:
        """Give a user a new key slot under a temporary password (and clear any lock)."""
        self._require_admin()
        with self._store.read() as s:
            user = s.get(User, user_id)
        if user is None:
            raise NotFound("That user no longer exists.")
        check_password(temporary_password, username=user.username, full_name=user.full_name)
        with self._store.write(self.session.actor.user_id) as s:
            row = s.get(User, user_id)
            assert row is not None
            row.password_hash = _hasher.hash(temporary_password)
            row.must_change_password = True
            audit.record(self.session, s, action="password_reset", record_type="user", record_id=user_id,
                         summary=user.username)
        self._vouch(self.session.slots.set_slot(
            username=user.username, user_id=user_id, password=temporary_password,
            master_key=self._store.master_key, kdf=self.kdf, clinical_key=self._clinical_key_for(Role(user.role))))
        self.session.slots.set_attempts(user.username, AttemptState())
        self.session.events.emit(UserDidChange(user_id))

    def unlock(self, user_id: str) -> None:
        self._require_admin()
        with self._store.write(self.session.actor.user_id) as s:
            user = s.get(User, user_id)
            if user is None:
                raise NotFound("That user no longer exists.")
            audit.record(self.session, s, action="account_unlocked", record_type="user", record_id=user_id,
                         summary=user.username)
        self.session.slots.set_attempts(user.username, AttemptState())
        self.session.events.emit(UserDidChange(user_id))


class PracticeService:
    """Practice settings: anyone reads them (the idle-lock time applies to everyone); administrators change them."""

    def __init__(self, session: UserSession) -> None:
        self.session = session

    def practice(self) -> Practice:
        with self.session.store.read() as s:
            practice = s.scalars(select(Practice)).first()
        if practice is None:
            raise NotFound("This store has no practice.")
        return practice

    def update(self, *, name: str | None = None, time_zone: str | None = None,
               idle_lock_minutes: int | None = None) -> None:
        require_any(self.session, Resource.ADMINISTRATION, Action.WRITE)
        if idle_lock_minutes is not None and not 1 <= idle_lock_minutes <= 60:
            raise ValidationError({"idle_lock_minutes": "The idle lock must be between 1 and 60 minutes."})
        with self.session.store.write(self.session.actor.user_id) as s:
            practice = s.scalars(select(Practice)).one()
            if name:
                practice.name = name.strip()
            if time_zone:
                practice.time_zone = time_zone
            if idle_lock_minutes is not None:
                practice.idle_lock_minutes = idle_lock_minutes
            audit.record(self.session, s, action="settings_changed", record_type="practice", record_id=practice.id)
        self.session.events.emit(PracticeDidChange())


def store_files(data_dir: Path) -> StoreFiles:
    return StoreFiles(Path(data_dir))
