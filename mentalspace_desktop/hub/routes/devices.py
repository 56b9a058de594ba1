"""Workstations (``/v1/devices``): a device's own status; administrators list, approve and revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from mentalspace_desktop.hub.deps import AdminUser, ApprovedDevice, CurrentUser, DbSession
from mentalspace_desktop.hub.errors import responses
from mentalspace_desktop.hub.schemas import LINE_PATTERN, DeviceKeyIn, DeviceMe, DeviceOut, RevokeIn
from mentalspace_desktop.hub.services import devices

router = APIRouter(prefix="/v1/devices", tags=["devices"])
DeviceId = Annotated[str, Path(min_length=1, max_length=36, pattern=LINE_PATTERN)]


@router.get("/me", response_model=DeviceMe, responses=responses(401, 403, 404, params=False))
def me(principal: CurrentUser, session: DbSession) -> DeviceMe:
    return DeviceMe(**devices.me(session, principal.device_id))


@router.put("/me/key", responses=responses(401, 403, 404, body=True))
def set_key(body: DeviceKeyIn, principal: ApprovedDevice, session: DbSession) -> dict[str, bool]:
    devices.set_key(session, principal.device_id, body.key)
    return {"has_key": True}


@router.get("", response_model=list[DeviceOut], responses=responses(401, 403, params=False))
def list_devices(_admin: AdminUser, session: DbSession) -> list[DeviceOut]:
    return [DeviceOut(**d) for d in devices.list_devices(session)]


@router.post("/{device_id}/approve", response_model=DeviceOut, responses=responses(401, 403, 404, 409))
def approve(device_id: DeviceId, admin: AdminUser, session: DbSession) -> DeviceOut:
    return DeviceOut(**devices.approve(session, device_id, by=admin.user_id))


@router.post("/{device_id}/revoke", response_model=DeviceOut, responses=responses(401, 403, 404, body=True))
def revoke(device_id: DeviceId, _admin: AdminUser, session: DbSession, body: RevokeIn | None = None) -> DeviceOut:
    return DeviceOut(**devices.revoke(session, device_id, reason=body.reason if body else ""))
