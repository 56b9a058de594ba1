"""FastAPI dependencies as ``Annotated`` aliases: the hub context, a session, and who is calling.

Only what touches the database runs in the thread pool: every hop there and back costs the event
loop and the worker a turn at the GIL, which under load is most of a request's latency. So the
cheap dependencies are ``async``, and the busiest endpoints (push, pull) take a :data:`Caller` —
the verified token — and check whom it names in their own worker thread and transaction. (So a
revoked device sending a malformed push or pull is told 422, not 403: it reads nothing either way.)
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

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

    @contextmanager
    def request_transaction(self) -> Iterator[Session]:
        """A session in one database transaction for a whole request, committed when the block
        ends without an error — before the answer is sent — and rolled back otherwise.

        A service's own ``with session.begin():`` joins it ("rollback_only"): its commit leaves the
        request's transaction open, its rollback ends it, and a service that then begins afresh (a
        push redone change by change) gets a transaction of its own that commits as usual. One
        connection, one BEGIN and one COMMIT for the caller's check and the work together.
        """
        with self.engine.connect() as connection:
            connection.begin()
            with self.sessions(bind=connection, join_transaction_mode="rollback_only") as session:
                yield session
            if connection.in_transaction():
                connection.commit()


async def get_hub(request: Request) -> HubContext:
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


def require_approved(principal: Principal) -> Principal:
    if principal.device_status != "approved":
        raise forbidden("This workstation is waiting for an administrator to approve it.", "device_pending")
    return principal


async def approved_device(principal: CurrentUser) -> Principal:
    return require_approved(principal)


ApprovedDevice = Annotated[Principal, Depends(approved_device)]


async def admin_user(principal: ApprovedDevice) -> Principal:
    if principal.role is not Role.ADMIN:
        raise forbidden("Only an administrator can manage workstations.")
    return principal


AdminUser = Annotated[Principal, Depends(admin_user)]


@dataclass(frozen=True)
class SignedToken:
    """A request's access token, signature and expiry checked; whom it names is checked with
    :meth:`approved` inside the endpoint's transaction, as :func:`current_user` would."""

    request: Request
    claims: dict[str, Any]

    def principal(self, session: Session) -> Principal:
        """The caller, read in ``session``'s open transaction (see ``auth.caller_of``)."""
        principal = auth.caller_of(session, self.claims)
        self.request.state.device_id = principal.device_id  # for the access log
        return principal

    def approved(self, session: Session) -> Principal:
        """As :data:`ApprovedDevice`: a known, approved workstation and an open account."""
        return require_approved(self.principal(session))

    def approved_in_request_transaction(self, session: Session) -> Principal:
        """:meth:`approved` in a session from :meth:`HubContext.request_transaction`; the session is
        then free for a service to begin its transaction, which joins the same one."""
        principal = self.approved(session)
        session.commit()  # ends the session's part only: the request's transaction goes on
        return principal


async def signed_token(request: Request, hub: Hub, credentials: BearerToken) -> SignedToken:
    if credentials is None:
        raise unauthorized("Sign in to the hub first.")
    return SignedToken(request, auth.decode_access_token(hub.signing_key, credentials.credentials))


Caller = Annotated[SignedToken, Depends(signed_token)]
