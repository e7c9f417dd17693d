"""Cross-cutting HTTP hardening of the whole app: request ids, integer bounds, headers.

Parametrised over the routes the app actually has (read from its OpenAPI document), so routes
added later are covered without editing this module.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlmodel import Session, col, select

from gateway.app import create_app
from gateway.audit.models import AuditEvent
from gateway.auth.principal import ROLES
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.headers import SecurityHeadersMiddleware
from gateway.problems import install_error_handlers
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.security.live import make_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root: Path = tmp_path_factory.mktemp("hardening")
    return make_settings(root, f"sqlite:///{root / 'beacon.db'}")


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def all_scopes(client: TestClient, app_settings: Settings) -> dict[str, str]:
    """A bearer header whose token carries every role's scopes (so validation is reached)."""
    engine = build_engine(app_settings)
    try:
        with Session(engine) as session:
            create_org(session, slug="ops", name="Ops", sector="public")
            c, secret = create_client(session, org_slug="ops", roles=list(ROLES))
    finally:
        engine.dispose()
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(c.client_id, secret),
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _integer_params(app: FastAPI) -> list[tuple[str, str, str, str]]:
    """(method, path, location, name) of every integer query/path parameter in the OpenAPI."""
    out = []
    for path, item in app.openapi()["paths"].items():
        for method, op in item.items():
            for param in op.get("parameters", []):
                schema = param.get("schema", {})
                types = {schema.get("type")} | {s.get("type") for s in schema.get("anyOf", [])}
                if "integer" in types:
                    out.append((method, path, param["in"], param["name"]))
    return out


def _integer_schema(app: FastAPI, path: str, method: str, name: str) -> dict[str, Any]:
    [param] = [p for p in app.openapi()["paths"][path][method]["parameters"] if p["name"] == name]
    schema: dict[str, Any] = param["schema"]
    return next((s for s in schema.get("anyOf", []) if s.get("type") == "integer"), schema)


def test_every_integer_parameter_is_bounded_and_overflow_is_422(
    client: TestClient, all_scopes: dict[str, str]
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    params = _integer_params(app)
    assert ("get", "/v1/audit/events", "query", "after_seq") in params  # the walk finds them
    for method, path, where, name in params:
        schema = _integer_schema(app, path, method, name)
        assert "maximum" in schema, f"{method} {path} {name} has no upper bound"
        for value in (2**63, -(2**63) - 1, 10**30):
            url = path.replace("{" + name + "}", str(value))
            url = re.sub(r"\{[^}]+\}", "x", url)
            query = {name: str(value)} if where == "query" else {}
            r = client.request(method.upper(), url, params=query, headers=all_scopes)
            assert r.status_code == 422, (method, path, name, value, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert any(e["loc"][-1] == name for e in r.json()["errors"]), r.text


@pytest.mark.parametrize(
    "chosen",
    [
        "short",  # under 8
        "x" * 65,  # over 64
        "trace id with spaces",
        "trace<script>alert(1)</script>",
        "trace\u00e9\u00e9\u00e9\u00e9\u00e9",
        "trace/../../etc",
    ],
)
def test_unsafe_request_ids_are_replaced_not_echoed_or_audited(
    client: TestClient, app_settings: Settings, chosen: str
) -> None:
    r = client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
        headers={"X-Request-ID": chosen.encode()},
    )
    assert r.status_code == 401
    echoed = r.headers["x-request-id"]
    assert echoed != chosen
    assert len(echoed) == 32 and echoed.isalnum()
    engine = build_engine(app_settings)
    try:
        with Session(engine) as s:
            last = s.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
    finally:
        engine.dispose()
    assert last is not None and last.request_id == echoed


def test_a_plain_request_id_is_echoed(client: TestClient) -> None:
    r = client.get("/healthz", headers={"X-Request-ID": "trace-0123.abc_DEF"})
    assert r.headers["x-request-id"] == "trace-0123.abc_DEF"


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


def _assert_hardened(r: httpx.Response, *, no_store: bool = True) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (r.request.url, name, dict(r.headers))
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert "server" not in r.headers, r.headers.get("server")
    if no_store:
        assert r.headers["cache-control"] == "no-store", (r.request.url, dict(r.headers))


def test_security_headers_on_every_kind_of_response_over_real_http(
    client: TestClient, app_settings: Settings, all_scopes: dict[str, str]
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)
    auth = all_scopes
    with serve_in_thread(app) as url:
        responses = [
            httpx.get(f"{url}/healthz"),
            httpx.get(f"{url}/v1/views"),  # 401 problem
            httpx.get(f"{url}/v1/batches/nope", headers=auth),  # 404 problem
            httpx.get(f"{url}/v1/batches/nope/rejections", headers=auth),
            httpx.get(f"{url}/v1/audit/events?limit=0", headers=auth),  # 422 problem
            httpx.get(f"{url}/v1/audit/events", headers=auth),
            httpx.get(f"{url}/v1/audit/verify", headers=auth),
            httpx.post(
                f"{url}/v1/datasets/incident_reports/batches",
                content=b"country\nXX\n",
                headers={**auth, "Content-Type": "text/csv", "Idempotency-Key": "hdr-0001"},
            ),
            httpx.get(f"{url}/no-such-route"),
        ]
        jwks = httpx.get(f"{url}/.well-known/jwks.json")
    statuses = [r.status_code for r in responses]
    assert statuses[:3] == [200, 401, 404] and statuses[4:7] == [422, 200, 200], statuses
    for r in responses:
        _assert_hardened(r)
    _assert_hardened(jwks, no_store=False)
    assert jwks.headers["cache-control"].startswith("public")  # a route's own choice stands
    assert "strict-transport-security" not in responses[0].headers  # dev mode: plain HTTP ok


def _tiny_app(*, hsts: bool) -> FastAPI:
    tiny = FastAPI()
    install_error_handlers(tiny)
    tiny.add_middleware(SecurityHeadersMiddleware, hsts=hsts)

    @tiny.get("/ok")
    def ok() -> dict[str, str]:
        return {"ok": "yes"}

    @tiny.get("/boom")
    def boom() -> None:
        raise RuntimeError("row value 4711 must not be cached")

    return tiny


def test_hsts_in_production_mode_and_headers_on_an_unhandled_500() -> None:
    with TestClient(_tiny_app(hsts=True), raise_server_exceptions=False) as c:
        ok, boom = c.get("/ok"), c.get("/boom")
    assert ok.headers["strict-transport-security"].startswith("max-age=")
    assert boom.status_code == 500
    assert boom.headers["content-type"] == "application/problem+json"
    assert boom.headers["cache-control"] == "no-store"
    assert boom.headers["x-content-type-options"] == "nosniff"


def test_create_app_sends_hsts_only_in_production_mode(app_settings: Settings) -> None:
    production = app_settings.model_copy(update={"mode": "production"})
    middleware = {m.cls: m.kwargs for m in create_app(production).user_middleware}
    assert middleware[SecurityHeadersMiddleware] == {"hsts": True}
    middleware = {m.cls: m.kwargs for m in create_app(app_settings).user_middleware}
    assert middleware[SecurityHeadersMiddleware] == {"hsts": False}
