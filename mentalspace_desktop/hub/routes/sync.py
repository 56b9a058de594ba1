"""Handshake, push, pull and the sync log (``/v1/handshake``, ``/v1/sync``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic_core import to_json

from mentalspace_desktop.hub.deps import ApprovedDevice, Caller, DbSession, Hub, OptionalUser
from mentalspace_desktop.hub.errors import responses
from mentalspace_desktop.hub.schemas import (
    TOKEN_PATTERN,
    HandshakeIn,
    HandshakeOut,
    PullOut,
    PushIn,
    PushOut,
    SyncRunIn,
    SyncRunOut,
)
from mentalspace_desktop.hub.services import handshake as handshakes
from mentalspace_desktop.hub.services import pull as pulls
from mentalspace_desktop.hub.services import push as pushes
from mentalspace_desktop.hub.services import synclog
from mentalspace_desktop.sync.protocol import PULL_PAGE_SIZE

router = APIRouter(tags=["sync"])


def _json(body: dict[str, Any]) -> Response:
    """``body`` as JSON, made in the worker thread (the ``response_model`` documents its shape).

    The same bytes FastAPI would write for the response model (pydantic's serializer), without
    validating plain rows into models again in one more thread-pool turn.
    """
    return Response(to_json(body), media_type="application/json")


@router.post(
    "/v1/handshake",
    response_model=HandshakeOut,
    response_model_by_alias=True,
    responses=responses(401, 403, 426, body=True),
    openapi_extra={"security": [{}]},  # a token is optional here (added to the bearer scheme)
)
def handshake(body: HandshakeIn, session: DbSession, _caller: OptionalUser) -> HandshakeOut:
    answer = handshakes.handshake(
        session,
        protocol=body.protocol,
        schema=body.schema_,
        app_version=body.app_version,
        device_time=body.device_time,
    )
    return HandshakeOut(
        protocol=answer.protocol,
        schema_=answer.schema,
        epoch=answer.epoch,
        server_time=answer.server_time,
        clock_skew_seconds=answer.clock_skew_seconds,
        warnings=answer.warnings,
    )


@router.post("/v1/sync/push", response_model=PushOut, responses=responses(401, 403, 409, body=True))
def push(body: PushIn, caller: Caller, hub: Hub) -> Response:
    with hub.request_transaction() as session:  # the caller's check and the batch: one transaction
        principal = caller.approved_in_request_transaction(session)
        outcome = pushes.push(session, principal, [c.model_dump() for c in body.changes])
    return _json({"results": outcome.results, "last_device_seq": outcome.last_device_seq})


@router.get("/v1/sync/pull", response_model=PullOut, responses=responses(400, 401, 403, 409))
def pull(
    caller: Caller,
    hub: Hub,
    cursor: Annotated[str, Query(max_length=1000, pattern=TOKEN_PATTERN)] = "",
    limit: Annotated[int, Query(ge=1, le=PULL_PAGE_SIZE)] = PULL_PAGE_SIZE,
) -> Response:
    with hub.sessions() as session:
        page = pulls.pull(session, caller.approved, cursor, limit)  # the caller is checked in its transaction
    return _json(page.as_json())


@router.post("/v1/sync/log", response_model=SyncRunOut, responses=responses(401, 403, body=True))
def post_log(body: SyncRunIn, principal: ApprovedDevice, session: DbSession) -> SyncRunOut:
    return SyncRunOut(**synclog.record(session, principal, body.model_dump()))


@router.get("/v1/sync/log", response_model=list[SyncRunOut], responses=responses(401, 403))
def get_log(
    principal: ApprovedDevice, session: DbSession, limit: Annotated[int, Query(ge=1, le=1000)] = 200
) -> list[SyncRunOut]:
    return [SyncRunOut(**r) for r in synclog.runs(session, principal, limit=limit)]
