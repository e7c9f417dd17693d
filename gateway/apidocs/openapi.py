"""The OpenAPI document, made truthful (defends against clients and fuzzers trusting a
description that hides the API's real failure modes).

FastAPI documents only 200/201/422 with ``application/json``. Here every operation also lists
the problems it can really answer, as ``application/problem+json`` (RFC 9457):
401/403 and its OAuth2 scopes where a principal is required, 404 where an object is named in
the path, 400/422 where it takes parameters or a body, 503 where it needs the database, store or
policy engine, plus what a route declares itself (``problem_responses``: 409, 413, 415, 429).
The OAuth2 client-credentials scheme is declared once; upload bodies are declared by the routes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from gateway.auth.principal import ROLE_SCOPES
from gateway.deps import get_principal
from gateway.errors import PROBLEM_JSON

SCHEME = "oauth2"
DESCRIPTIONS = {
    400: "Bad request (malformed parameters, headers or body)",
    401: "Missing, invalid, expired or revoked credentials",
    403: "Not permitted: a missing scope or a policy denial (stable reason codes)",
    404: "Not found (another organisation's object answers exactly like a missing one)",
    409: "Conflict (idempotency key reused, batch in progress, no release yet)",
    413: "Body too large",
    415: "Unsupported media type",
    422: "Request validation failed (`errors` points at the fields)",
    429: "Too many attempts (see Retry-After)",
    503: "A dependency (database, store or policy engine) is unavailable: fails closed",
}
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri-reference"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}},
    },
    "additionalProperties": True,
}
# Routes owned elsewhere whose extra problems are known here.
_EXTRA: dict[tuple[str, str], set[int]] = {("get", "/v1/views/{view}"): {409}}
_NEEDS_BACKENDS = ("/v1/", "/oauth/token")


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route decorator: these problems, as problem+json."""
    return {code: _problem(code) for code in codes}


def install_openapi(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_openapi(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def build_openapi(app: FastAPI) -> dict[str, Any]:
    doc = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    components = doc.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    components["securitySchemes"] = {SCHEME: _oauth2_scheme()}
    # Each route as included (full path, merged dependencies), as FastAPI's own walk sees it.
    for route in routing.iter_route_contexts(app.routes):
        if isinstance(route.original_route, APIRoute) and route.include_in_schema:
            for method in route.methods or ():
                op = doc["paths"].get(route.path_format, {}).get(method.lower())
                if op is not None:
                    _document(op, route, method.lower())
    return doc


def _document(op: dict[str, Any], route: Any, method: str) -> None:
    codes = set(_EXTRA.get((method, route.path_format), set()))
    authenticated, scopes = _security(route.dependant)
    if authenticated:
        op["security"] = [{SCHEME: sorted(scopes)}]
        codes |= {401, 403} if scopes else {401}
    if route.dependant.path_params:
        codes.add(404)
    dependant = route.dependant
    if dependant.query_params or dependant.path_params or dependant.body_params:
        codes |= {400, 422}  # FastAPI validates these (422); the service checks values (400)
    elif "requestBody" in op:
        codes.add(400)  # a body the route parses itself (token form, uploads)
    if route.path_format.startswith(_NEEDS_BACKENDS):
        codes.add(503)
    _set_problems(op.setdefault("responses", {}), codes, {str(c) for c in route.responses})


def _set_problems(responses: dict[str, Any], codes: set[int], declared: set[str]) -> None:
    for code in sorted(codes):
        if str(code) not in declared or "content" not in responses.get(str(code), {}):
            responses[str(code)] = _problem(code)
    for key, response in responses.items():  # FastAPI's 422 and bare declarations
        if key.isdigit() and int(key) >= 400 and key not in declared:
            responses[key] = _problem(int(key))
        elif key in declared and "content" not in response:
            response["content"] = _problem(int(key))["content"]


def _problem(code: int) -> dict[str, Any]:
    return {
        "description": DESCRIPTIONS.get(code, "Problem"),
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def _security(dependant: Dependant) -> tuple[bool, set[str]]:
    authenticated, scopes = False, set[str]()
    for dep in _walk(dependant):
        if dep.call is get_principal:
            authenticated = True
        scopes |= set(getattr(dep.call, "required_scopes", ()))
    return authenticated, scopes


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)


def _oauth2_scheme() -> dict[str, Any]:
    scopes = sorted(set().union(*ROLE_SCOPES.values()))
    return {
        "type": "oauth2",
        "description": "OAuth2 client credentials; tokens are ES256/RS256 JWTs (RFC 9068).",
        "flows": {
            "clientCredentials": {
                "tokenUrl": "/oauth/token",
                "scopes": {s: f"the `{s}` scope" for s in scopes},
            }
        },
    }
