"""Shared fixtures for the privacy attack suite: a live gateway per test, both policy backends.

Each test gets a fresh gateway (SQLite metadata, local Delta store) served over real HTTP by
``serve_in_thread(create_app(settings))``, with organisations whose clients take real tokens
from ``/oauth/token``: a victim NGO and a second NGO that upload, an attacker NGO that can
upload *and* query (the demo's NGO grant, k = 10), and governance, which cuts releases. The
``live`` fixture runs every attack on the embedded policy engine and on the real OPA server
(serving the repository's ``policies/``). A module that needs other privacy settings (a small
query-variety allowance, say) overrides the ``privacy_overrides`` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlmodel import Session

from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.e2e.helpers import bearer
from tests.fixtures.opa import run_opa
from tests.security.privacy.attacker import ORGS, Live

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def privacy_overrides() -> dict[str, Any]:
    """``Settings.privacy`` fields this module's attacks need (only those the branch has)."""
    return {}


@pytest.fixture(params=["embedded", "opa"])
def policy_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def policy_dir() -> Path:
    """The policies the gateway (and OPA) serve; a module may serve a copy with extra grants."""
    return REPO / "policies"


@pytest.fixture
def live_settings(
    tmp_path: Path,
    policy_backend: str,
    policy_dir: Path,
    privacy_overrides: dict[str, Any],
    request: Any,
) -> Iterator[Settings]:
    s = Settings(data_dir=tmp_path / "var", contracts_dir=REPO / "contracts", log_json=True)
    s.database.url = SecretStr(f"sqlite:///{tmp_path / 'beacon.db'}")
    s.store.uri = str(tmp_path / "store")
    s.policy.policy_dir = policy_dir
    s.ingest.validator = "arrow"
    apply_privacy(s, privacy_overrides)
    if policy_backend == "embedded":
        yield s
    elif policy_dir == REPO / "policies":
        s.policy.backend, s.policy.opa_url = "opa", request.getfixturevalue("opa_server")
        yield s
    else:  # the session's OPA serves the repository's policies: run one on the copy
        with run_opa(request.getfixturevalue("opa_binary"), policy_dir) as url:
            s.policy.backend, s.policy.opa_url = "opa", url
            yield s


def apply_privacy(settings: Settings, overrides: dict[str, Any]) -> None:
    """Set the privacy settings the branch knows (a field that has not landed is left out)."""
    known = type(settings.privacy).model_fields
    for name, value in overrides.items():
        if name in known:
            setattr(settings.privacy, name, value)


def start_live(settings: Settings) -> Iterator[Live]:
    """Create the organisations and clients, serve the app, yield a :class:`Live`."""
    engine = build_engine(settings)
    upgrade_schema(engine)
    secrets: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        for slug, (sector, roles) in ORGS.items():
            create_org(session, slug=slug, name=slug.title(), sector=sector)
            client, secret = create_client(session, org_slug=slug, roles=roles)
            secrets[slug] = (client.client_id, secret)
    engine.dispose()
    with serve_in_thread(create_app(settings)) as url:
        yield Live(url, {slug: bearer(url, *cred) for slug, cred in secrets.items()})


@pytest.fixture
def live(live_settings: Settings) -> Iterator[Live]:
    yield from start_live(live_settings)
