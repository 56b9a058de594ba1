"""Workstations (``/v1/devices``): a device's own status; administrators list, approve and revoke."""

from __future__ import annotations

from fastapi import APIRouter

from mentalspace_desktop.hub.deps import AdminUser, ApprovedDevice, CurrentUser, DbSession
from mentalspace_desktop.hub.schemas import DeviceKeyIn, DeviceMe, DeviceOut, RevokeIn, VouchedKeyIn
from mentalspace_desktop.hub.services import devices, signatures

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.get("/me", response_model=DeviceMe)
def me(principal: CurrentUser, session: DbSession) -> DeviceMe:
    return DeviceMe(**devices.me(session, principal.device_id))


@router.put("/me/key")
def set_key(body: DeviceKeyIn, principal: ApprovedDevice, session: DbSession) -> dict[str, bool]:
    devices.set_key(session, principal.device_id, body.key)
    return {"has_key": True}


@router.post("/me/signing-keys")
def vouched_key(body: VouchedKeyIn, principal: ApprovedDevice, session: DbSession) -> dict[str, str]:
    with session.begin():
        key_id = signatures.register_vouched(
            session, device_id=principal.device_id, user_id=body.user_id, public_b64=body.public_key,
            voucher_id=body.voucher_id, voucher_key_id=body.voucher_key_id, signature_b64=body.signature)
    return {"key_id": key_id}


@router.get("", response_model=list[DeviceOut])
def list_devices(_admin: AdminUser, session: DbSession) -> list[DeviceOut]:
    return [DeviceOut(**d) for d in devices.list_devices(session)]


@router.post("/{device_id}/approve", response_model=DeviceOut)
def approve(device_id: str, admin: AdminUser, session: DbSession) -> DeviceOut:
    return DeviceOut(**devices.approve(session, device_id, by=admin.user_id))


@router.post("/{device_id}/revoke", response_model=DeviceOut)
def revoke(device_id: str, _admin: AdminUser, session: DbSession, body: RevokeIn | None = None) -> DeviceOut:
    return DeviceOut(**devices.revoke(session, device_id, reason=body.reason if body else ""))
