"""Devices: a workstation's own status, and the administrator's list, approval, revocation and the
removal of a person from a workstation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from mentalspace_desktop.hub import repository as repo
from mentalspace_desktop.hub.errors import HubError, not_found
from mentalspace_desktop.store.models import AuditEntry, User
from mentalspace_desktop.store.sync_models import Device, DeviceUser, RefreshToken
from mentalspace_desktop.store.types import utcnow


def me(session: Session, device_id: str) -> dict[str, Any]:
    with session.begin():
        device = session.get(Device, device_id)
        if device is None:
            raise not_found("This workstation is not known to the hub.")
        return {
            "id": device.id,
            "status": device.status,
            "reason": device.revoked_reason,
            "name": device.name,
            "last_device_seq": int(device.last_device_seq),
            "has_key": bool(device.key_secret),
        }


AUDIT_PAGE = 2000


def own_audit(session: Session, device_id: str, after: int) -> list[dict[str, Any]]:
    """This workstation's own audit entries numbered after ``after`` (at most :data:`AUDIT_PAGE`).

    A store restored from a backup lacks the entries it wrote after the backup; it takes them back
    to continue its chain where the hub's copy of it ends (sync/restore.py), instead of starting a
    second chain under the same numbers. Only the workstation's own entries: what it wrote itself.
    """
    with session.begin():
        rows = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.device_id == device_id, AuditEntry.seq > after)
            .order_by(AuditEntry.seq)
            .limit(AUDIT_PAGE)
        )
        return [repo.to_json(row) for row in rows]


def set_key(session: Session, device_id: str, key: str) -> None:
    """Keep the secret that unwraps this (approved) workstation's copy of its store key."""
    with session.begin():
        device = session.get(Device, device_id, with_for_update=True)
        if device is None:
            raise not_found("This workstation is not known to the hub.")
        device.key_secret = key


def list_devices(session: Session) -> list[dict[str, Any]]:
    with session.begin():
        rows = session.execute(
            select(Device, User.username)
            .join(User, User.id == Device.enrolled_by, isouter=True)
            .order_by(Device.created_at)
        ).all()
        staff = _staff(session)
        return [_view(device, username, staff.get(device.id, [])) for device, username in rows]


def _staff(session: Session, device_id: str | None = None) -> dict[str, list[str]]:
    """Device id -> user names of the people who work there, for the administrator's list."""
    query = (
        select(DeviceUser.device_id, User.username)
        .join(User, User.id == DeviceUser.user_id)
        .where(DeviceUser.removed_at.is_(None))
    )
    if device_id is not None:
        query = query.where(DeviceUser.device_id == device_id)
    staff: dict[str, list[str]] = {}
    for dev, name in session.execute(query.order_by(User.username)):
        staff.setdefault(dev, []).append(name)
    return staff


def _view(device: Device, username: str | None, staff: list[str]) -> dict[str, Any]:
    return {
        "staff": staff,
        "id": device.id,
        "name": device.name,
        "user_id": device.enrolled_by,
        "username": username,
        "status": device.status,
        "last_seen_at": device.last_seen_at,
        "app_version": device.app_version,
        "created_at": device.created_at,
        "approved_at": device.approved_at,
        "revoked_at": device.revoked_at,
        "revoked_reason": device.revoked_reason,
    }


def approve(session: Session, device_id: str, *, by: str | None) -> dict[str, Any]:
    with session.begin():
        device = session.get(Device, device_id, with_for_update=True)
        if device is None:
            raise not_found("There is no such workstation.")
        if device.status == "revoked":
            raise HubError(
                409,
                "A revoked workstation has destroyed its keys and cannot be approved again; "
                "set it up afresh and approve the new request.",
                "device_revoked",
            )
        if device.status != "approved":
            device.status = "approved"
            device.approved_at = utcnow()
            device.approved_by = by
        username = session.scalar(select(User.username).where(User.id == device.enrolled_by))
        return _view(device, username, _staff(session, device.id).get(device.id, []))


def revoke(session: Session, device_id: str, *, reason: str) -> dict[str, Any]:
    """Revoke a device and every sign-in it holds; it destroys its key slots at its next contact."""
    with session.begin():
        device = session.get(Device, device_id, with_for_update=True)
        if device is None:
            raise not_found("There is no such workstation.")
        if device.status != "revoked":
            device.status = "revoked"
            device.revoked_at = utcnow()
            device.revoked_reason = reason.strip() or None
        device.key_secret = None  # nobody can be signed in there for the first time any more
        session.execute(update(RefreshToken).where(RefreshToken.device_id == device_id).values(revoked=True))
        username = session.scalar(select(User.username).where(User.id == device.enrolled_by))
        return _view(device, username, _staff(session, device.id).get(device.id, []))


def remove_person(session: Session, device_id: str, person: str, *, by: str | None) -> dict[str, Any]:
    """Stop a person working on a workstation (``person``: their user name or id).

    They can no longer sign in to the hub there, author changes from there or use a token issued
    there (their sign-ins on it end now), and what only they could read leaves the workstation at
    its next sync: the device's staff changed, so its next pull takes a fresh snapshot.
    """
    with session.begin():
        device = session.get(Device, device_id, with_for_update=True)
        if device is None:
            raise not_found("There is no such workstation.")
        user = session.scalars(
            select(User).where(or_(User.id == person, User.username == person.strip()))
        ).first()
        if user is None:
            raise not_found(f"There is no one called {person!r}.")
        works = session.get(DeviceUser, (device_id, user.id), with_for_update=True)
        if works is None or works.removed_at is not None:
            raise not_found(f"{user.username} does not work on the workstation {device.name!r}.")
        works.removed_at = utcnow()
        works.removed_by = by
        session.execute(
            update(RefreshToken)
            .where(RefreshToken.device_id == device_id, RefreshToken.user_id == user.id)
            .values(revoked=True)
        )
        username = session.scalar(select(User.username).where(User.id == device.enrolled_by))
        return _view(device, username, _staff(session, device.id).get(device.id, []))
