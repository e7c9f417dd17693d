"""Cross-cutting HTTP hardening of the whole app: request ids, integer bounds, headers.

Parametrised over the routes the app actually has (read from its OpenAPI document), so routes
added later are covered without editing this module.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from gateway.app import create_app
from gateway.audit.models import AuditEvent
from gateway.db import build_engine
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
