"""FastAPI dependencies as ``Annotated`` aliases: the hub context, a session, and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from mentalspace_desktop.domain.roles import Role
from mentalspace_desktop.hub.errors import forbidden, unauthorized
from mentalspace_desktop.hub.events import Broadcaster
from mentalspace_desktop.hub.services import auth
from mentalspace_desktop.hub.services.auth import Principal
from mentalspace_desktop.hub.settings import HubSettings


@dataclass
class HubContext:
    """What the lifespan builds once per process and every request shares."""

    settings: HubSettings
    engine: Engine
    sessions: sessionmaker[Session]
    signing_key: str
    broadcaster: Broadcaster


def get_hub(request: Request) -> HubContext:
    hub: HubContext = request.app.state.hub
    return hub


Hub = Annotated[HubContext, Depends(get_hub)]


def get_session(hub: Hub) -> Iterator[Session]:
    """A session per request; services open their own transactions in it, so nothing commits by accident."""
    with hub.sessions() as session:
        yield session


DbSession = Annotated[Session, Depends(get_session)]

_bearer = HTTPBearer(auto_error=False)
BearerToken = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(request: Request, hub: Hub, credentials: BearerToken) -> Principal:
    """The signed-in caller on any device that is not revoked (a pending device may ask about itself)."""
    if credentials is None:
        raise unauthorized("Sign in to the hub first.")
    with hub.sessions() as session:
        principal = auth.authenticate(session, key=hub.signing_key, token=credentials.credentials)
    request.state.device_id = principal.device_id  # for the access log, which never sees bodies
    return principal


CurrentUser = Annotated[Principal, Depends(current_user)]


def optional_user(request: Request, hub: Hub, credentials: BearerToken) -> Principal | None:
    """As :func:`current_user` when a token is sent (so a revoked device is refused), else None."""
    return current_user(request, hub, credentials) if credentials is not None else None


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def approved_device(principal: CurrentUser) -> Principal:
    if principal.device_status != "approved":
        raise forbidden("This workstation is waiting for an administrator to approve it.", "device_pending")
    return principal


ApprovedDevice = Annotated[Principal, Depends(approved_device)]


def admin_user(principal: ApprovedDevice) -> Principal:
    if principal.role is not Role.ADMIN:
        raise forbidden("Only an administrator can manage workstations.")
    return principal


AdminUser = Annotated[Principal, Depends(admin_user)]
