"""Signing devices in: password + one-time code, lockout, short access tokens, rotating refresh tokens.

Access tokens are HS256 JWTs signed with the hub's own key (``hub_settings.signing_key``), carrying
the user (``sub``), the device (``dev``) and the role. Every request still re-reads the device and
the user, so a revoked device or deactivated account stops at once, not when its token expires.
Refresh tokens are random, kept only as SHA-256 hashes, and rotate; presenting a spent one again
means it was copied, so the whole family is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import String, and_, bindparam, exists, select, update
from sqlalchemy.orm import Session

from mentalspace_desktop.domain.ids import new_id
from mentalspace_desktop.domain.lockout import AttemptState
from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub import repository
from mentalspace_desktop.hub.errors import HubError, forbidden, unauthorized
from mentalspace_desktop.hub.services import signatures
from mentalspace_desktop.services import totp
from mentalspace_desktop.store.hub_models import HubLoginAttempt
from mentalspace_desktop.store.models import BackupCode, User
from mentalspace_desktop.store.sync_models import Device, DeviceUser, RefreshToken
from mentalspace_desktop.store.types import utcnow

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not a password anyone has")  # unknown users cost the same time
LAST_SEEN_RESOLUTION = timedelta(seconds=30)  # the device list shows minutes
BAD_LOGIN = "The user name, password or code is not correct."


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user on a known device. Role comes from the database, not the token."""

    user_id: str
    username: str
    role: Role
    device_id: str
    device_status: str


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_in: int
    device_status: str
    user: dict[str, str]
    device_key: str | None = None
    signing_key_id: str | None = None
    clinical_key: str | None = None


# -- tokens -------------------------------------------------------------------------------------


def issue_access_token(
    key: str,
    *,
    user_id: str,
    device_id: str,
    role: str,
    seconds: int,
    now: datetime | None = None,
    family: str | None = None,
) -> str:
    """``family``: the refresh-token family the token was issued from; revoking the family (a reused
    refresh token, a sign-out) ends the access token at its next request, not when it expires."""
    issued = now or utcnow()
    claims = {
        "sub": user_id,
        "dev": device_id,
        "role": role,
        "typ": "access",
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=seconds)).timestamp()),
    }
    if family is not None:
        claims["fam"] = family
    return jwt.encode(claims, key, algorithm="HS256")


def decode_access_token(key: str, token: str) -> dict[str, Any]:
    try:
        claims = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["exp", "sub", "dev"]})
    except jwt.ExpiredSignatureError:
        raise unauthorized("The sign-in has expired; refresh it.", "token_expired") from None
    except jwt.PyJWTError:
        raise unauthorized("The sign-in token is not valid.", "token_invalid") from None
    if claims.get("typ") != "access":
        raise unauthorized("The sign-in token is not valid.", "token_invalid")
    return claims


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(
    session: Session,
    *,
    key: str,
    user: User,
    device: Device,
    family: str,
    access_seconds: int,
    refresh_days: int,
) -> Tokens:
    refresh = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        RefreshToken(
            id=new_id(),
            family=family,
            device_id=device.id,
            user_id=user.id,
            token_hash=_hash_token(refresh),
            issued_at=now,
            expires_at=now + timedelta(days=refresh_days),
        )
    )
    access = issue_access_token(
        key, user_id=user.id, device_id=device.id, role=user.role, seconds=access_seconds, family=family
    )
    return Tokens(
        access,
        refresh,
        access_seconds,
        device.status,
        {"id": user.id, "username": user.username, "full_name": user.full_name, "role": user.role},
    )


# -- login --------------------------------------------------------------------------------------


def _locked(state: AttemptState) -> HubError:
    until = state.locked_until
    assert until is not None
    return unauthorized(
        "Too many failed sign-in attempts. This account is locked until "
        f"{until.strftime('%H:%M')} UTC. An administrator can unlock it sooner.",
        "account_locked",
    )


def _second_factor(
    session: Session, user: User, code: str, *, now: float | None = None
) -> tuple[str, bool] | None:
    """Which second factor matched, and whether it spent a backup code (a synced write)."""
    if user.totp_secret:
        step = totp.matching_step(user.totp_secret, code, now=now)
        if step is not None and (user.totp_last_step is None or step > user.totp_last_step):
            user.totp_last_step = step  # hub bookkeeping: not a synced write, takes no number
            return "authenticator code", False
    if totp.looks_like_backup_code(code):
        row = session.scalars(
            select(BackupCode).where(
                BackupCode.user_id == user.id,
                BackupCode.code_hash == totp.backup_code_hash(user.id, code),
                BackupCode.used_at.is_(None),
                BackupCode.deleted.is_(False),
            )
        ).first()
        if row is not None:
            row.used_at = utcnow()
            repository.record_write(session, row, op="update", user_id=user.id, device_id=None)
            return "backup code", True
    return None


class _Refused(Exception):
    """Raised inside a transaction to roll it back before the refusal is recorded in a new one."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def login(
    session: Session,
    *,
    key: str,
    username: str,
    password: str,
    code: str,
    device_id: str,
    device_name: str,
    app_version: str,
    access_seconds: int,
    refresh_days: int,
    signing_key: str | None = None,
) -> Tokens:
    """Check password, one-time code and account; enrol an unknown device as pending; issue tokens.

    Because password and code were both checked, this is where a person's public signing key for
    the workstation is registered (``signing_key``), and where a role that may read clinical text
    receives the practice's clinical data key (hub/services/signatures.py).
    """
    now = utcnow()
    try:
        with session.begin():
            user = session.scalars(
                select(User).where(User.username == username.strip(), User.deleted.is_(False))
            ).first()
            if user is None:
                _verify_password(_DUMMY_HASH, password)
                raise unauthorized(BAD_LOGIN, "invalid_credentials")
            attempts = session.get(HubLoginAttempt, user.id, with_for_update=True)
            state = AttemptState(attempts.failed, attempts.locked_until) if attempts else AttemptState()
            if state.is_locked(now):
                raise _locked(state)
            if (
                not _verify_password(user.password_hash, password)
                or _second_factor(session, user, code) is None
            ):
                raise _Refused(user.id)  # rolls back a half-checked second factor
            if not user.active:
                raise unauthorized(
                    "This account has been deactivated. Ask an administrator.", "account_inactive"
                )
            if attempts is not None:
                session.delete(attempts)
            device = session.get(Device, device_id)
            if device is None:
                device = Device(
                    id=device_id,
                    name=(device_name or "Workstation")[:100],
                    enrolled_by=user.id,
                    status="pending",
                    created_at=now,
                    last_device_seq=0,
                )
                session.add(device)
            if device.status == "revoked":
                raise _revoked(device)
            works = session.get(DeviceUser, (device.id, user.id))
            if works is not None and works.removed_at is not None:
                raise _removed()
            device.app_version = app_version or device.app_version
            device.last_seen_at = now
            user.last_login_at = now  # hub bookkeeping, like totp_last_step: takes no number
            session.flush()
            add_device_user(session, device.id, user.id, how="hub sign-in")
            tokens = _issue(
                session,
                key=key,
                user=user,
                device=device,
                family=new_id(),
                access_seconds=access_seconds,
                refresh_days=refresh_days,
            )
            if device.status == "approved" and device.key_secret:
                tokens = replace(tokens, device_key=device.key_secret)
            return replace(
                tokens,
                signing_key_id=signatures.register_key(session, device.id, user.id, signing_key),
                clinical_key=signatures.clinical_key_for(session, Role(user.role)),
            )
    except _Refused as refused:
        _count_failure(session, refused.key, now)
        raise AssertionError("unreachable") from None


def _removed() -> HubError:
    return forbidden(
        "An administrator has removed you from this workstation. Ask them to add you back, or work "
        "on another workstation.",
        "removed_from_device",
    )


def add_device_user(session: Session, device_id: str, user_id: str, *, how: str) -> None:
    """Remember that this person works on this workstation (see DeviceUser); once is enough.

    A new person there widens what the workstation may hold: its next pull takes a fresh snapshot
    (``scopes.staff_key`` changes), so their clients reach it."""
    if session.get(DeviceUser, (device_id, user_id)) is None:
        session.add(DeviceUser(device_id=device_id, user_id=user_id, added_at=utcnow(), how=how))
        session.flush()


def _verify_password(hashed: str, password: str) -> bool:
    try:
        return _hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _count_failure(session: Session, user_id: str, now: datetime) -> None:
    """Record one failure in its own transaction and answer 401 (locked on the fifth)."""
    with session.begin():
        attempts = session.get(HubLoginAttempt, user_id, with_for_update=True)
        state = AttemptState(attempts.failed, attempts.locked_until) if attempts else AttemptState()
        state = state.after_failure(now)
        if attempts is None:
            session.add(
                HubLoginAttempt(user_id=user_id, failed=state.failed, locked_until=state.locked_until)
            )
        else:
            attempts.failed, attempts.locked_until = state.failed, state.locked_until
    if state.is_locked(now):
        raise _locked(state)
    raise unauthorized(
        f"{BAD_LOGIN} {state.attempts_left()} attempt(s) left before the account locks for 15 minutes.",
        "invalid_credentials",
    )


def _revoked(device: Device) -> HubError:
    return _revoked_because(device.revoked_reason)


def _revoked_because(reason: str | None) -> HubError:
    return forbidden(
        "An administrator has removed this workstation from the practice.", "device_revoked", reason=reason or ""
    )


# -- refresh ------------------------------------------------------------------------------------


def refresh(
    session: Session, *, key: str, token: str, device_id: str, access_seconds: int, refresh_days: int
) -> Tokens:
    """Spend a refresh token for a new pair; a token presented twice revokes its whole family."""
    now = utcnow()
    try:
        with session.begin():
            row = session.scalars(
                select(RefreshToken).where(RefreshToken.token_hash == _hash_token(token)).with_for_update()
            ).first()
            if row is None or row.device_id != device_id:
                raise unauthorized("This sign-in is not known to the hub. Sign in again.", "refresh_invalid")
            if row.used_at is not None or row.revoked:
                raise _Refused(row.family)
            if row.expires_at <= now:
                raise unauthorized("This sign-in has expired. Sign in again.", "refresh_expired")
            device = session.get(Device, row.device_id)
            user = session.get(User, row.user_id)
            assert device is not None
            if device.status == "revoked":
                raise _revoked(device)
            if user is None or user.deleted or not user.active:
                raise unauthorized("This account can no longer sign in.", "account_inactive")
            works = session.get(DeviceUser, (device.id, user.id))
            if works is not None and works.removed_at is not None:
                raise _removed()
            row.used_at = now
            device.last_seen_at = now
            return _issue(
                session,
                key=key,
                user=user,
                device=device,
                family=row.family,
                access_seconds=access_seconds,
                refresh_days=refresh_days,
            )
    except _Refused as reused:
        with session.begin():
            session.execute(
                update(RefreshToken).where(RefreshToken.family == reused.key).values(revoked=True)
            )
        raise unauthorized(
            "This sign-in was used twice, so it has been ended for safety. Sign in again.", "refresh_reused"
        ) from None


# -- every request ------------------------------------------------------------------------------


def authenticate(session: Session, *, key: str, token: str) -> Principal:
    """The caller behind an access token; refuses revoked devices (403) and closed accounts (401)."""
    claims = decode_access_token(key, token)
    with session.begin():
        return caller_of(session, claims)


_devices, _users, _works = Device.__table__.c, User.__table__.c, DeviceUser.__table__.c
_tokens = RefreshToken.__table__.c
# Built once (Core columns, parameters for the ids): every request of every device runs it.
_CALLER = (
    select(
        _devices.status,
        _devices.revoked_reason,
        _devices.last_seen_at,
        _users.id,
        _users.username,
        _users.role,
        _users.active,
        _users.deleted,
        _works.removed_at,
        exists()
        .where(_tokens.family == bindparam("family", type_=String), _tokens.revoked.is_(True))
        .label("family_revoked"),
    )
    .select_from(Device.__table__)
    .outerjoin(User.__table__, _users.id == bindparam("user_id"))
    .outerjoin(DeviceUser.__table__, and_(_works.device_id == _devices.id, _works.user_id == _users.id))
    .where(_devices.id == bindparam("device_id"))
)


def caller_of(session: Session, claims: dict[str, Any]) -> Principal:
    """:func:`authenticate`'s checks for decoded ``claims``, inside the caller's open transaction.

    One query reads the device and the user together, every time: a revoked device or a closed
    account is refused at its next request, whatever its token says.
    """
    device_id, user_id = str(claims["dev"]), str(claims["sub"])
    family = claims.get("fam")
    found = session.execute(
        _CALLER, {"device_id": device_id, "user_id": user_id, "family": str(family) if family else None}
    ).first()
    if found is None:
        raise unauthorized("This workstation is not known to the hub. Sign in again.", "device_unknown")
    status, reason, last_seen, found_user, username, role, active, deleted, removed, family_revoked = found
    if status == "revoked":
        raise _revoked_because(reason)
    if found_user is None or deleted or not active:
        raise unauthorized("This account can no longer sign in.", "account_inactive")
    if removed is not None:
        raise unauthorized(
            "An administrator has removed you from this workstation; you can no longer sync here.",
            "removed_from_device",
        )
    if family_revoked:
        raise unauthorized("This sign-in has been ended. Sign in to the hub again.", "token_revoked")
    now = utcnow()
    if last_seen is None or now - last_seen >= LAST_SEEN_RESOLUTION:
        # not on every request: a write per pull would queue on pushes
        session.execute(
            update(Device)
            .where(Device.id == device_id)
            .values(last_seen_at=now)
            .execution_options(synchronize_session=False)
        )
    return Principal(found_user, username, Role(role), device_id, status)
