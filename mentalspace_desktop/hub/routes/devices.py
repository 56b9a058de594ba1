"""Workstations (``/v1/devices``): a device's own status; administrators list, approve and revoke
them and remove a person from one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from mentalspace_desktop.hub.deps import AdminUser, ApprovedDevice, CurrentUser, DbSession
from mentalspace_desktop.hub.errors import responses
from mentalspace_desktop.hub.schemas import (
    LINE_PATTERN,
    MAX_INT32,
    DeviceKeyIn,
    DeviceMe,
    DeviceOut,
    RemovePersonIn,
    RevokeIn,
    VouchedKeyIn,
)
from mentalspace_desktop.hub.services import devices, signatures

router = APIRouter(prefix="/v1/devices", tags=["devices"])
DeviceId = Annotated[str, Path(min_length=1, max_length=36, pattern=LINE_PATTERN)]


@router.get("/me", response_model=DeviceMe, responses=responses(401, 403, 404, params=False))
def me(principal: CurrentUser, session: DbSession) -> DeviceMe:
    return DeviceMe(**devices.me(session, principal.device_id))


@router.get("/me/audit", response_model=list[dict[str, Any]], responses=responses(401, 403, 404))
def own_audit(
    principal: ApprovedDevice, session: DbSession,
    after: Annotated[int, Query(ge=0, le=MAX_INT32)] = 0,  # audit_log.seq is an INTEGER (PostgreSQL int4)
) -> list[dict[str, Any]]:
    """This workstation's own audit entries after ``after``: a store restored from a backup continues
    its audit chain from them (sync/restore.py)."""
    return devices.own_audit(session, principal.device_id, after)


@router.put("/me/key", responses=responses(401, 403, 404, body=True))
def set_key(body: DeviceKeyIn, principal: ApprovedDevice, session: DbSession) -> dict[str, bool]:
    devices.set_key(session, principal.device_id, body.key)
    return {"has_key": True}


@router.post("/me/signing-keys", responses=responses(401, 403, 404, 409, body=True))
def vouched_key(body: VouchedKeyIn, principal: ApprovedDevice, session: DbSession) -> dict[str, str]:
    with session.begin():
        key_id = signatures.register_vouched(
            session, device_id=principal.device_id, user_id=body.user_id, public_b64=body.public_key,
            voucher_id=body.voucher_id, voucher_key_id=body.voucher_key_id, signature_b64=body.signature)
    return {"key_id": key_id}


@router.get("", response_model=list[DeviceOut], responses=responses(401, 403, params=False))
def list_devices(_admin: AdminUser, session: DbSession) -> list[DeviceOut]:
    return [DeviceOut(**d) for d in devices.list_devices(session)]


@router.post("/{device_id}/approve", response_model=DeviceOut, responses=responses(401, 403, 404, 409))
def approve(device_id: DeviceId, admin: AdminUser, session: DbSession) -> DeviceOut:
    return DeviceOut(**devices.approve(session, device_id, by=admin.user_id))


@router.post("/{device_id}/revoke", response_model=DeviceOut, responses=responses(401, 403, 404, body=True))
def revoke(device_id: DeviceId, _admin: AdminUser, session: DbSession, body: RevokeIn | None = None) -> DeviceOut:
    return DeviceOut(**devices.revoke(session, device_id, reason=body.reason if body else ""))


@router.post("/{device_id}/remove-person", response_model=DeviceOut, responses=responses(401, 403, 404, body=True))
def remove_person(device_id: DeviceId, body: RemovePersonIn, admin: AdminUser, session: DbSession) -> DeviceOut:
    """Stop a person working on this workstation; what only they could read leaves it at its next sync."""
    return DeviceOut(**devices.remove_person(session, device_id, body.user, by=admin.user_id))
