"""RFC 9457 problem+json handlers for every failure (the only FastAPI side of the error model).

Defends against information leaks: 5xx responses carry a generic detail (the cause goes to the
log), validation errors point at fields/rows, never at internals.
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from gateway.errors import PROBLEM_JSON, TYPE_BASE, BeaconError
from gateway.headers import BASE_HEADERS

log = structlog.get_logger(__name__)


def problem(
    request: Request,
    *,
    type_: str,
    title: str,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": type_,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": f"urn:beacon:request:{getattr(request.state, 'request_id', 'unknown')}",
    }
    body.update(extensions)
    # Problems can quote what the caller sent: never cached, never sniffed (even a 500).
    headers = {**BASE_HEADERS, **(headers or {})}
    headers["Cache-Control"] = "no-store"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def _beacon_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BeaconError)
    if exc.status >= 500:
        log.error("request.failed", error_type=exc.type, detail=exc.detail)
    return problem(
        request,
        type_=exc.type,
        title=exc.title,
        status=exc.status,
        detail=exc.detail if exc.status < 500 or exc.status == 503 else exc.title,
        headers=exc.headers or None,
        **exc.extensions,
    )


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in exc.errors()
    ]
    return problem(
        request,
        type_=TYPE_BASE + "validation",
        title="Request validation failed",
        status=422,
        detail=f"{len(errors)} field(s) failed validation",
        errors=errors,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="beacon"')
    return problem(
        request,
        type_=TYPE_BASE + ("not-found" if exc.status_code == 404 else "http-error"),
        title=str(exc.detail) if exc.status_code < 500 else "Internal error",
        status=exc.status_code,
        detail=str(exc.detail) if exc.status_code < 500 else "Internal error",
        headers=headers or None,
    )


async def _client_disconnected(request: Request, exc: Exception) -> Response:
    # The client went away mid-body: its fault, nothing to answer (nobody is listening).
    log.warning("http.client_disconnected", method=request.method, path=request.url.path)
    return Response(status_code=499)


async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
    log.exception("request.unhandled", error=type(exc).__name__)
    return problem(
        request,
        type_=TYPE_BASE + "internal",
        title="Internal error",
        status=500,
        detail="An internal error occurred; quote the instance id to support.",
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(BeaconError, _beacon_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_disconnected)
    app.add_exception_handler(Exception, _unhandled)
