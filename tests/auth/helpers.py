"""Helpers shared by the auth and audit tests: a schema with only our tables, orgs and clients."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.deps import AUDIT_LOG
from gateway.audit.service import AuditLog
from gateway.auth.deps import TOKEN_SERVICE, TOKEN_THROTTLE
from gateway.auth.service import create_client, create_org
from gateway.auth.throttle import TokenThrottle
from gateway.auth.tokens import TokenService
from gateway.deps import ENGINE, SETTINGS
from gateway.problems import install_error_handlers
from gateway.providers import Providers
from gateway.settings import Settings

with warnings.catch_warnings():
    # starlette >= 1.x warns that its TestClient should move to httpx2; still works with httpx.
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


def make_client(
    engine: Engine,
    *,
    org: str = "hope-ngo",
    sector: str = "ngo",
    roles: tuple[str, ...] = ("analyst",),
) -> tuple[str, str]:
    """Create the org if needed and a client in it; returns (client_id, secret)."""
    from gateway.auth import repository

    with Session(engine) as session:
        if repository.get_org_by_slug(session, org) is None:
            create_org(session, slug=org, name=org.title(), sector=sector)
        client, secret = create_client(session, org_slug=org, roles=list(roles))
        return client.client_id, secret


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return _b64json(header), _b64json(payload)


def _b64json(part: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return out


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def minimal_app(
    settings: Settings,
    engine: Engine,
    tokens: TokenService,
    *routers: Any,
    throttle: TokenThrottle | None = None,
) -> TestClient:
    """Just our routers over the providers they use (the full app is tested elsewhere)."""
    app = FastAPI()
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    providers = Providers()
    providers.add(SETTINGS, settings)
    providers.add(ENGINE, engine)
    providers.add(TOKEN_SERVICE, tokens)
    providers.add(TOKEN_THROTTLE, throttle or TokenThrottle.from_settings(settings.auth, engine))
    providers.add(AUDIT_LOG, AuditLog(engine))
    app.state.providers = providers
    return TestClient(app)
