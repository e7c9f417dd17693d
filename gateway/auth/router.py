"""OAuth2 token endpoint (client credentials) and discovery documents.

Defends against credential stuffing and leaks: one error for every client-authentication
failure, failures throttled per client id and per source address (429 + Retry-After, counted
in the shared database), every attempt audited, responses marked ``Cache-Control: no-store``,
request bodies capped, duplicate parameters and mixed authentication methods refused
(RFC 6749 §2.3, §3.2).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from gateway.apidocs.openapi import problem_responses
from gateway.audit.deps import AuditLogDep
from gateway.audit.events import Outcome, TokenIssued
from gateway.audit.service import AuditLog
from gateway.auth.deps import TokenServiceDep, TokenThrottleDep
from gateway.auth.errors import (
    InvalidClientError,
    OAuthRequestError,
    UnsupportedGrantTypeError,
    oauth_error_code,
)
from gateway.auth.tokens import TokenService
from gateway.deps import RequestIdDep
from gateway.errors import BeaconError, NotFoundError
from gateway.problems import problem

router = APIRouter(tags=["auth"])

_MAX_FORM_BYTES = 8 * 1024
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


_TOKEN_FORM = {
    "required": True,
    "content": {
        "application/x-www-form-urlencoded": {
            "schema": {
                "type": "object",
                "required": ["grant_type"],
                "properties": {
                    "grant_type": {"type": "string", "enum": ["client_credentials"]},
                    "scope": {"type": "string", "description": "space-separated, optional"},
                    "client_id": {"type": "string", "description": "client_secret_post"},
                    "client_secret": {"type": "string", "description": "client_secret_post"},
                },
            }
        }
    },
}


@router.post(
    "/oauth/token",
    summary="OAuth2 token endpoint (client_credentials)",
    responses=problem_responses(400, 401, 429),
    openapi_extra={"requestBody": _TOKEN_FORM},
)
async def token(
    request: Request,
    tokens: TokenServiceDep,
    throttle: TokenThrottleDep,
    audit: AuditLogDep,
    request_id: RequestIdDep,
) -> JSONResponse:
    client_id: str | None = None
    form: dict[str, str] = {}
    source = request.client.host if request.client else None
    try:
        form = await _read_form(request)
        client_id, secret = _client_credentials(request, form)
        grant_type = form.get("grant_type")
        if not grant_type:
            raise OAuthRequestError("grant_type is required")
        if grant_type != "client_credentials":
            raise UnsupportedGrantTypeError("only grant_type=client_credentials is supported")
        # The KDF and the database are blocking: keep them off the event loop. A throttled
        # caller is refused before the KDF runs, so guessing costs it, not everyone else.
        await run_in_threadpool(throttle.check, client_id=client_id, source=source)
        try:
            body = await run_in_threadpool(tokens.issue, client_id, secret, scope=form.get("scope"))
        except InvalidClientError:
            await run_in_threadpool(throttle.record_failure, client_id=client_id, source=source)
            raise
    except BeaconError as exc:
        event = _failure(request_id, client_id=client_id, form=form, error=exc)
        await run_in_threadpool(audit.record, event)
        return _oauth_problem(request, exc)
    await run_in_threadpool(_audit_success, audit, tokens, request_id, body)
    return JSONResponse(body, headers=_NO_STORE)


@router.get("/.well-known/jwks.json", summary="Public keys that verify our access tokens")
def jwks(tokens: TokenServiceDep) -> JSONResponse:
    return JSONResponse(tokens.jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.get(
    "/.well-known/oauth-authorization-server",
    summary="RFC 8414 authorisation-server metadata",
)
def metadata(tokens: TokenServiceDep) -> dict[str, Any]:
    if not tokens.self_issuing:
        raise NotFoundError("tokens are issued by an external authorisation server")
    return tokens.metadata()


async def _read_form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise OAuthRequestError("use Content-Type: application/x-www-form-urlencoded")
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > _MAX_FORM_BYTES:
            raise OAuthRequestError("request body too large")
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise OAuthRequestError("malformed form body") from exc
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            raise OAuthRequestError(f"parameter {key!r} given more than once")
        form[key] = value
    return form


def _client_credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """HTTP Basic (client_secret_basic) or form fields (client_secret_post), not both."""
    header = request.headers.get("authorization")
    in_form = "client_secret" in form
    if header is not None:
        if in_form:
            raise OAuthRequestError("use one client authentication method, not two")
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            raise InvalidClientError("use HTTP Basic client authentication")
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise InvalidClientError("malformed Basic credentials") from exc
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise InvalidClientError("malformed Basic credentials")
        # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
        client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
        if form.get("client_id") not in (None, client_id):
            raise OAuthRequestError("client_id in the body differs from the Basic credentials")
        return client_id, secret
    client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
    if not client_id or not secret:
        raise InvalidClientError("client authentication required")
    return client_id, secret


def _oauth_problem(request: Request, exc: BeaconError) -> JSONResponse:
    headers = {**_NO_STORE, **exc.headers}
    detail = exc.detail if exc.status < 500 or exc.status == 503 else exc.title
    return problem(
        request,
        type_=exc.type,
        title=exc.title,
        status=exc.status,
        detail=detail,
        headers=headers,
        error=oauth_error_code(exc),
        **exc.extensions,
    )


def _audit_success(
    audit: AuditLog, tokens: TokenService, request_id: str | None, body: dict[str, Any]
) -> None:
    principal = tokens.verify(body["access_token"])
    audit.record(
        TokenIssued(
            outcome=Outcome.SUCCESS,
            actor_org=principal.org,
            actor_subject=principal.subject,
            request_id=request_id,
            grant_type="client_credentials",
            scope=body["scope"],
        )
    )


def _failure(
    request_id: str | None, *, client_id: str | None, form: dict[str, str], error: BeaconError
) -> TokenIssued:
    return TokenIssued(
        outcome=Outcome.FAILURE,
        actor_subject=client_id[:100] if client_id else None,
        request_id=request_id,
        grant_type=form.get("grant_type", "")[:64],
        requested_scope=form.get("scope", "")[:200],
        error=oauth_error_code(error),
    )
