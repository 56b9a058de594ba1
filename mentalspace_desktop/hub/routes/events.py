"""Live updates (``/v1/sync/events``): a server-sent event stream of the newest committed number."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from mentalspace_desktop.hub.deps import ApprovedDevice, Caller, Hub
from mentalspace_desktop.hub.errors import HubError, responses

router = APIRouter(tags=["sync"])


def _event(seq: int) -> str:
    return f"data: {json.dumps({'seq': seq})}\n\n"


@router.get("/v1/sync/events", response_class=StreamingResponse, responses=responses(401, 403, params=False))
async def events(request: Request, _principal: ApprovedDevice, caller: Caller, hub: Hub) -> StreamingResponse:
    """Sends the current number at once, then each new one; a comment every 15 s keeps proxies open.

    The caller is checked again at every keep-alive as at any request (the device, the account, the
    person's place on the device and the token's sign-in), so a revoked caller's stream ends.
    """
    broadcaster = hub.broadcaster
    keepalive = hub.settings.keepalive_seconds

    def still_approved() -> bool:
        with hub.sessions() as session, session.begin():
            try:
                caller.approved(session)
            except HubError:
                return False
            return True

    async def stream() -> AsyncIterator[str]:
        queue = broadcaster.subscribe()
        try:
            last = await broadcaster.read_now()
            yield _event(last)
            while True:
                try:
                    seq = await asyncio.wait_for(queue.get(), timeout=keepalive)
                except TimeoutError:
                    if await request.is_disconnected() or not await asyncio.to_thread(still_approved):
                        return
                    yield ": keep-alive\n\n"
                    continue
                if seq != last:
                    last = seq
                    yield _event(seq)
        finally:
            broadcaster.unsubscribe(queue)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
