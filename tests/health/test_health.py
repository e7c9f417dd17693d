"""`/healthz` and `/readyz` of the full app over real HTTP, on both databases.

Ready means the database, the store and the policy engine all answer; a dead policy engine
makes the gateway not ready (503) without saying more than which check failed.
"""

from __future__ import annotations

import httpx
import pytest

from gateway.app import create_app
from gateway.serving import free_port, serve_in_thread
from gateway.settings import Settings

pytestmark = pytest.mark.integration

ALL_OK = {"database": "ok", "store": "ok", "policy": "ok"}


def test_healthz_answers(settings: Settings) -> None:
    with serve_in_thread(create_app(settings)) as url:
        r = httpx.get(f"{url}/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_readyz_on_embedded_defaults(settings: Settings) -> None:
    with serve_in_thread(create_app(settings)) as url:
        r = httpx.get(f"{url}/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": ALL_OK}
    assert r.headers["x-request-id"]


def test_readyz_is_503_when_the_policy_engine_is_down(settings: Settings) -> None:
    settings.policy.backend = "opa"
    settings.policy.opa_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings.policy.timeout_seconds = 1.0
    with serve_in_thread(create_app(settings)) as url:
        ready = httpx.get(f"{url}/readyz")
        alive = httpx.get(f"{url}/healthz")
    assert ready.status_code == 503
    assert ready.json() == {
        "status": "not-ready",
        "checks": {"database": "ok", "store": "ok", "policy": "unavailable"},
    }
    assert "127.0.0.1" not in ready.text and "Error" not in ready.text
    assert alive.status_code == 200  # alive, just not ready


@pytest.mark.parametrize("backend", ["embedded", "opa"])
def test_readyz_with_a_real_opa_running(settings: Settings, opa_server: str, backend: str) -> None:
    """With the real OPA up, either backend is ready (the embedded one ignores it)."""
    settings.policy.backend = backend  # type: ignore[assignment]
    settings.policy.opa_url = opa_server
    with serve_in_thread(create_app(settings)) as url:
        r = httpx.get(f"{url}/readyz")
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ready", "checks": ALL_OK}
