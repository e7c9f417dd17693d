"""Audit API: governance/admin scope only; pages in chain order; verify reports tampering."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from gateway.audit.router import router
from gateway.audit.service import AuditLog
from gateway.auth.tokens import TokenService
from gateway.settings import Settings
from tests.audit.probe import UploadProbe, ViewProbe
from tests.auth.helpers import TestClient, make_client, minimal_app


@pytest.fixture
def http(settings: Settings, engine: Engine, tokens: TokenService) -> Iterator[TestClient]:
    with minimal_app(settings, engine, tokens, router) as client:
        yield client


def _bearer(engine: Engine, tokens: TokenService, *roles: str) -> dict[str, str]:
    client_id, secret = make_client(engine, org=f"org-{'-'.join(roles)}", roles=roles)
    return {"Authorization": "Bearer " + tokens.issue(client_id, secret)["access_token"]}


def test_anonymous_and_analyst_are_refused(
    engine: Engine, tokens: TokenService, http: TestClient
) -> None:
    r = http.get("/v1/audit/events")
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = http.get("/v1/audit/verify", headers=_bearer(engine, tokens, "analyst", "uploader"))
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("role", ["governance", "admin"])
def test_governance_reads_pages_and_verifies(
    engine: Engine, tokens: TokenService, http: TestClient, role: str
) -> None:
    log = AuditLog(engine)
    for i in range(5):
        probe = ViewProbe if i % 2 else UploadProbe
        log.record(probe(action="x", actor_subject=f"c{i}"))
    auth = _bearer(engine, tokens, role)
    page = http.get("/v1/audit/events", params={"limit": 2}, headers=auth).json()
    assert [e["seq"] for e in page["items"]] == [1, 2] and page["next_after_seq"] == 2
    page = http.get(
        "/v1/audit/events", params={"after_seq": 2, "kind": "view.query"}, headers=auth
    ).json()
    assert [e["seq"] for e in page["items"]] == [4] and page["next_after_seq"] is None
    assert http.get("/v1/audit/verify", headers=auth).json() == {
        "ok": True,
        "checked": 7,  # the 5 probes, then creating the caller's org and client
        "first_bad_seq": None,
        "problem": None,
    }
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event WHERE seq = 2"))
    body = http.get("/v1/audit/verify", headers=auth).json()
    assert body["ok"] is False and body["first_bad_seq"] == 2
