"""The hub's error answers: ``{"detail": words for a person, "code": for the program, ...}``.

Bodies are flat (not FastAPI's nested ``detail``) so the desktop reads ``code`` where the protocol
says. Validation errors name the fields only: FastAPI's default answer echoes the submitted values,
which may be a client's record.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException


class HubError(Exception):
    def __init__(
        self, status: int, detail: str, code: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.code = code
        self.headers = headers
        self.extra = extra


def unauthorized(detail: str, code: str = "not_authenticated") -> HubError:
    return HubError(401, detail, code, headers={"WWW-Authenticate": "Bearer"})


def forbidden(detail: str, code: str = "forbidden", **extra: Any) -> HubError:
    return HubError(403, detail, code, **extra)


def not_found(detail: str) -> HubError:
    return HubError(404, detail, "not_found")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [".".join(str(p) for p in err.get("loc", ()) if p != "body") for err in exc.errors()]
        return JSONResponse(
            {
                "detail": "The request is not valid: check " + ", ".join(sorted(set(fields))) + ".",
                "code": "invalid_request",
                "fields": sorted(set(fields)),
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc.detail), "code": "http_error"},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
