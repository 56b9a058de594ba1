"""Workstations (``/v1/devices``): a device's own status; administrators list, approve and revoke
them and remove a person from one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from mentalspace_desktop.hub.deps import AdminUser, ApprovedDevice, CurrentUser, DbSession
from mentalspace_desktop.hub.schemas import DeviceKeyIn, DeviceMe, DeviceOut, RevokeIn
from mentalspace_desktop.hub.services import devices

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.get("/me", response_model=DeviceMe)
def me(principal: CurrentUser, session: DbSession) -> DeviceMe:
    return DeviceMe(**devices.me(session, principal.device_id))


@router.get("/me/audit", response_model=list[dict[str, Any]])
def own_audit(
    principal: ApprovedDevice, session: DbSession, after: Annotated[int, Query(ge=0, le=2**31)] = 0
) -> list[dict[str, Any]]:
    """This workstation's own audit entries after ``after``: a store restored from a backup continues
    its audit chain from them (sync/restore.py)."""
    return devices.own_audit(session, principal.device_id, after)


@router.put("/me/key")
def set_key(body: DeviceKeyIn, principal: ApprovedDevice, session: DbSession) -> dict[str, bool]:
    devices.set_key(session, principal.device_id, body.key)
    return {"has_key": True}


@router.get("", response_model=list[DeviceOut])
def list_devices(_admin: AdminUser, session: DbSession) -> list[DeviceOut]:
    return [DeviceOut(**d) for d in devices.list_devices(session)]


@router.post("/{device_id}/approve", response_model=DeviceOut)
def approve(device_id: str, admin: AdminUser, session: DbSession) -> DeviceOut:
    return DeviceOut(**devices.approve(session, device_id, by=admin.user_id))


@router.post("/{device_id}/revoke", response_model=DeviceOut)
def revoke(device_id: str, _admin: AdminUser, session: DbSession, body: RevokeIn | None = None) -> DeviceOut:
    return DeviceOut(**devices.revoke(session, device_id, reason=body.reason if body else ""))


class RemovePersonIn(BaseModel):
    user: str = Field(min_length=1, max_length=64, pattern=r"^[^\x00]*$")  # user name or id


@router.post("/{device_id}/remove-person", response_model=DeviceOut)
def remove_person(device_id: str, body: RemovePersonIn, admin: AdminUser, session: DbSession) -> DeviceOut:
    """Stop a person working on this workstation; what only they could read leaves it at its next sync."""
    return DeviceOut(**devices.remove_person(session, device_id, body.user, by=admin.user_id))
