"""The token endpoint over HTTP: RFC 6749 errors as problem+json, no-store, every try audited."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from urllib.parse import quote_plus

import pytest
from joserfc.jwk import KeySet
from sqlalchemy.engine import Engine

from gateway.audit.service import AuditLog
from gateway.auth.keys import StaticKeys
from gateway.auth.router import router
from gateway.auth.tokens import TokenService
from gateway.settings import Settings
from tests.auth.helpers import TestClient, make_client, minimal_app

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def http(settings: Settings, engine: Engine, tokens: TokenService) -> Iterator[TestClient]:
    with minimal_app(settings, engine, tokens, router) as client:
        yield client


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {**FORM, "Authorization": "Basic " + base64.b64encode(raw).decode()}


def _assert_oauth_problem(response, status: int, error: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == error and body["status"] == status and body["type"]


# -- deny cases first ------------------------------------------------------------------------


def test_wrong_secret_is_401_invalid_client(engine: Engine, http: TestClient) -> None:
    client_id, _ = make_client(engine)
    r = http.post(
        "/oauth/token", data="grant_type=client_credentials", headers=_basic(client_id, "wrong")
    )
    _assert_oauth_problem(r, 401, "invalid_client")
    assert r.headers["www-authenticate"].startswith("Basic")
    (event,) = AuditLog(engine).list_events(kind="token.issue")
    assert event.outcome == "failure" and event.actor_subject == client_id
    assert event.detail["error"] == "invalid_client"
    assert "wrong" not in str(event.detail)


def test_no_credentials_is_401(http: TestClient) -> None:
    r = http.post("/oauth/token", data="grant_type=client_credentials", headers=FORM)
    _assert_oauth_problem(r, 401, "invalid_client")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("grant_type=password", "unsupported_grant_type"),
        ("grant_type=authorization_code&code=x", "unsupported_grant_type"),
        ("scope=views:read", "invalid_request"),
        ("grant_type=client_credentials&grant_type=client_credentials", "invalid_request"),
        ("grant_type=client_credentials&scope=batches:write", "invalid_scope"),
    ],
)
def test_bad_requests_are_400(engine: Engine, http: TestClient, body: str, error: str) -> None:
    client_id, secret = make_client(engine, roles=("analyst",))
    r = http.post("/oauth/token", content=body, headers=_basic(client_id, secret))
    _assert_oauth_problem(r, 400, error)


def test_json_body_is_invalid_request(engine: Engine, http: TestClient) -> None:
    client_id, secret = make_client(engine)
    r = http.post(
        "/oauth/token",
        json={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    _assert_oauth_problem(r, 400, "invalid_request")


def test_two_auth_methods_are_refused(engine: Engine, http: TestClient) -> None:
    client_id, secret = make_client(engine)
    body = f"grant_type=client_credentials&client_id={client_id}&client_secret={secret}"
    r = http.post("/oauth/token", content=body, headers=_basic(client_id, secret))
    _assert_oauth_problem(r, 400, "invalid_request")


# -- allow cases ------------------------------------------------------------------------------


def test_basic_auth_issues_a_token(engine: Engine, http: TestClient, tokens: TokenService) -> None:
    client_id, secret = make_client(engine, roles=("analyst", "uploader"))
    r = http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "views:read"},
        headers=_basic(client_id, secret),
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "views:read"
    assert tokens.verify(body["access_token"]).org == "hope-ngo"
    (event,) = AuditLog(engine).list_events(kind="token.issue")
    assert event.outcome == "success" and event.actor_org == "hope-ngo"
    assert body["access_token"] not in str(event.model_dump())


def test_form_credentials_issue_a_token(engine: Engine, http: TestClient) -> None:
    client_id, secret = make_client(engine)
    r = http.post(
        "/oauth/token",
        headers=FORM,
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert r.status_code == 200, r.text


def test_discovery_documents_verify_our_tokens(
    settings: Settings, engine: Engine, http: TestClient, tokens: TokenService
) -> None:
    meta = http.get("/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == settings.auth.issuer
    assert meta["token_endpoint"].endswith("/oauth/token")
    assert meta["grant_types_supported"] == ["client_credentials"]
    jwks = http.get("/.well-known/jwks.json").json()
    relying_party = TokenService(
        engine=None,
        issuer=settings.auth.issuer,
        audience=settings.auth.audience,
        signing_key=None,
        verify_keys=StaticKeys(KeySet.import_key_set(jwks)),
    )
    client_id, secret = make_client(engine)
    token = tokens.issue(client_id, secret)["access_token"]
    assert relying_party.verify(token).subject == client_id
