"""The hub's access log: method, route template, status, duration and device id — nothing else.

Written as plain ASGI middleware (not ``BaseHTTPMiddleware``) so event streams pass through
untouched. It never sees request bodies or query strings, and logs the route template
(``/v1/devices/{device_id}/approve``), so no name, record or token can reach a log file.
"""

from __future__ import annotations

import logging
import time
from typing import Any

log = logging.getLogger("mentalspace.hub.access")


class AccessLog:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "<no route>"
            device = (scope.get("state") or {}).get("device_id") or "-"
            log.info(
                "%s %s %s %.1fms device=%s",
                scope.get("method"),
                template,
                status,
                (time.perf_counter() - started) * 1000,
                device,
            )
