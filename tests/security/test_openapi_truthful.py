"""The OpenAPI document describes the API that runs, and its docs pages work offline.

Walks the app's own OpenAPI document (routes added later are covered without edits): problems
are documented as application/problem+json, secured routes name the OAuth2 client-credentials
scheme and their scopes, and what an anonymous caller really gets is a documented response.
/docs is then rendered by a real headless Chromium that can reach nothing but 127.0.0.1.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.security.live import make_settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def app_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root: Path = tmp_path_factory.mktemp("openapi")
    return make_settings(root, f"sqlite:///{root / 'beacon.db'}")


@pytest.fixture(scope="module")
def client(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings)) as c:
        yield c


@pytest.fixture(scope="module")
def doc(client: TestClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    out: dict[str, Any] = r.json()
    return out


def _operations(doc: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in doc["paths"].items():
        for method, op in item.items():
            yield method, path, op


def _is_page(op: dict[str, Any]) -> bool:
    """A page for people (the public reporting form): its errors are the page again, in HTML."""
    return "text/html" in op["responses"].get("200", {}).get("content", {})


def test_problems_are_documented_as_problem_json(doc: dict[str, Any]) -> None:
    for method, path, op in _operations(doc):
        for code, response in op["responses"].items():
            if int(code) >= 400 and path != "/readyz":
                allowed = (["text/html"], ["application/problem+json"])
                expected = allowed if _is_page(op) else (["application/problem+json"],)
                assert list(response["content"]) in expected, (
                    method,
                    path,
                    code,
                )
    assert "HTTPValidationError" not in doc["components"]["schemas"]


def test_secured_routes_name_the_client_credentials_scheme(doc: dict[str, Any]) -> None:
    flows = doc["components"]["securitySchemes"]["oauth2"]["flows"]
    assert flows["clientCredentials"]["tokenUrl"] == "/oauth/token"
    ops = {(m, p): op for m, p, op in _operations(doc)}
    assert ops[("get", "/v1/audit/events")]["security"] == [{"oauth2": ["audit:read"]}]
    assert ops[("post", "/v1/datasets/{dataset}/batches")]["security"] == [
        {"oauth2": ["batches:write"]}
    ]
    for (_m, path), op in ops.items():
        if path.startswith("/v1/public/"):  # the anonymous reporting channel: no login at all
            assert "security" not in op and "401" not in op["responses"], path
        elif path.startswith("/v1/"):
            assert "security" in op and "401" in op["responses"], path


def test_request_bodies_are_declared(doc: dict[str, Any]) -> None:
    upload = doc["paths"]["/v1/datasets/{dataset}/batches"]["post"]
    assert set(upload["requestBody"]["content"]) == {
        "text/csv",
        "application/vnd.apache.parquet",
        "application/vnd.apache.arrow.stream",
        "application/vnd.apache.arrow.file",
    }
    assert {p["name"] for p in upload["parameters"]} >= {"dataset", "Idempotency-Key"}
    assert {"413", "415", "409"} <= set(upload["responses"])
    token = doc["paths"]["/oauth/token"]["post"]
    assert list(token["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert "429" in token["responses"]


def test_what_an_anonymous_caller_gets_is_documented(
    client: TestClient, doc: dict[str, Any]
) -> None:
    for method, path, op in _operations(doc):
        url = re.sub(r"\{[^}]+\}", "x", path)
        r = client.request(method.upper(), url)
        assert str(r.status_code) in op["responses"], (method, path, r.status_code)
        if r.status_code >= 400 and path != "/readyz":
            documented = op["responses"][str(r.status_code)]["content"]
            assert r.headers["content-type"].split(";")[0] in documented, (method, path)
            if not _is_page(op):
                assert r.headers["content-type"] == "application/problem+json"


def test_docs_pages_reference_only_their_own_origin(client: TestClient) -> None:
    for page in ("/docs", "/redoc"):
        r = client.get(page)
        assert r.status_code == 200
        assert "http://" not in r.text and "https://" not in r.text, page
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "http" not in csp
        for asset in re.findall(r'(?:src|href)="([^"]+)"', r.text):
            assert asset.startswith("/docs/assets/"), asset
            assert client.get(asset).status_code == 200, asset  # vendored, in the package


def test_docs_are_off_by_default_in_production_mode(app_settings: Settings) -> None:
    production = app_settings.model_copy(update={"mode": "production"})
    paths = {getattr(r, "path", None) for r in create_app(production).router.routes}
    assert "/docs" not in paths and "/redoc" not in paths


def test_docs_render_in_a_browser_with_no_network(client: TestClient) -> None:
    app = client.app
    with serve_in_thread(app) as url:  # type: ignore[arg-type]
        assert httpx.get(f"{url}/docs").status_code == 200
        done = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
                "--proxy-server=http://127.0.0.1:9",  # anything not on loopback goes nowhere
                "--proxy-bypass-list=127.0.0.1",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{url}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
    dom = done.stdout
    assert done.returncode == 0, done.stderr[-2000:]
    assert "swagger-ui" in dom
    assert "Beacon gateway" in dom  # the title Swagger UI rendered from /openapi.json
    assert "/v1/datasets/{dataset}/batches" in dom  # operations rendered, not a blank page
