"""Sign-in and token refresh (``/v1/auth``)."""

from __future__ import annotations

from dataclasses import asdict

from fastapi import APIRouter

from mentalspace_desktop.hub.deps import DbSession, Hub
from mentalspace_desktop.hub.errors import responses
from mentalspace_desktop.hub.schemas import LoginIn, RefreshIn, TokensOut
from mentalspace_desktop.hub.services import auth

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/login", response_model=TokensOut, responses=responses(401, 403, body=True))
def login(body: LoginIn, hub: Hub, session: DbSession) -> TokensOut:
    tokens = auth.login(
        session,
        key=hub.signing_key,
        username=body.username,
        password=body.password,
        code=body.code,
        device_id=body.device_id,
        device_name=body.device_name,
        app_version=body.app_version,
        signing_key=body.signing_key,
        access_seconds=hub.settings.access_token_seconds,
        refresh_days=hub.settings.refresh_token_days,
    )
    return TokensOut(**asdict(tokens))


@router.post("/refresh", response_model=TokensOut, responses=responses(401, 403, body=True))
def refresh(body: RefreshIn, hub: Hub, session: DbSession) -> TokensOut:
    tokens = auth.refresh(
        session,
        key=hub.signing_key,
        token=body.refresh_token,
        device_id=body.device_id,
        access_seconds=hub.settings.access_token_seconds,
        refresh_days=hub.settings.refresh_token_days,
    )
    return TokensOut(**asdict(tokens))
