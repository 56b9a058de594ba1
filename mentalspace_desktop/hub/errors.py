"""The hub's error answers: ``{"detail": words for a person, "code": for the program, ...}``.

Bodies are flat (not FastAPI's nested ``detail``) so the desktop reads ``code`` where the protocol
says. Every error the hub sends has this one shape (:class:`ErrorOut`), validation errors (422)
included, and each route documents the statuses it can answer with it (:func:`responses`), so the
OpenAPI document describes what a client really gets. Validation errors name the fields and the
rule broken, never the values: FastAPI's default answer echoes what was sent, which may be a
client's record.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from mentalspace_desktop.hub.schemas import PATTERN_WORDS, ErrorOut

# What each error status means on this hub, for the OpenAPI document.
MEANING: dict[int, str] = {
    400: "The request cannot be read (its body is not JSON text in UTF-8), or it names something "
    "this hub never issued (a sync position).",
    401: "Not signed in, or the sign-in is not valid, has expired or is locked.",
    403: "Signed in, but not allowed: the workstation is waiting for approval or was removed, or "
    "the person's role may not do this.",
    404: "There is no such workstation.",
    409: "The request conflicts with the hub's state (for example the hub was restored from a "
    "backup, or the workstation was revoked).",
    422: "A field is missing, of the wrong type or out of its bounds; `fields` names them.",
    426: "This version of the desktop (or of its protocol or schema) is not one the hub serves.",
}


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


def responses(*statuses: int, body: bool = False, params: bool = True) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route that can answer ``statuses`` (and 422, for a route that takes
    parameters or a body; and 400, for one that reads a body), all with the hub's one error body."""
    every = {*statuses, *((422,) if params or body else ()), *((400,) if body else ())}
    return {status: {"model": ErrorOut, "description": MEANING[status]} for status in sorted(every)}


def _reason(error: dict[str, Any]) -> str:
    """Pydantic's words for a broken rule, without the submitted value."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    if kind == "value_error" and "error" in ctx:
        return str(ctx["error"])
    if kind == "too_long" and "max_length" in ctx:
        return f"may hold at most {ctx['max_length']}"
    if kind == "too_short" and "min_length" in ctx:
        return f"must hold at least {ctx['min_length']}"
    if kind == "string_pattern_mismatch":
        return PATTERN_WORDS.get(str(ctx.get("pattern")), "is not in the form the document gives")
    if kind == "json_invalid":
        return "is not valid JSON"
    return str(error.get("msg") or kind).rstrip(".")


def _field(error: dict[str, Any]) -> str:
    parts = [str(p) for p in error.get("loc", ()) if p != "body"]
    return ".".join(parts) or "body"


def validation_error(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The 422 body for pydantic's ``errors``: each field, and the first few rules broken in words."""
    fields = sorted({_field(e) for e in errors})
    reasons = [f"{_field(e)}: {_reason(e)}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return {
        "detail": "The request is not valid: " + "; ".join(reasons) + more + ".",
        "code": "invalid_request",
        "fields": fields,
    }


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(HubError)
    async def _hub_error(_request: Request, exc: HubError) -> JSONResponse:
        body = {"detail": exc.detail, "code": exc.code, **exc.extra}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_error(list(exc.errors())), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not read the body (not UTF-8, for example)
            body = {"detail": "The request's body could not be read: send JSON text in UTF-8.", "code": "bad_body"}
        else:
            body = {"detail": str(exc.detail), "code": "http_error"}
        return JSONResponse(
            body,
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )
