"""A test app with the real views router, real embedded policy engine and a real Delta store.

The audit log is the real hash-chained one on a throw-away SQLite database; tests that need a
different collaborator (a broken policy engine) replace the views provider through
``app.dependency_overrides`` (see ``ViewsApp.use``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.models import AuditEvent
from gateway.audit.service import AuditLog
from gateway.auth.principal import Principal, scopes_for_roles
from gateway.db import build_engine
from gateway.deps import get_principal, get_session
from gateway.errors import install_error_handlers
from gateway.migrations import upgrade_schema
from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.settings import Settings
from gateway.store.delta import DeltaStore
from gateway.views.definitions import ViewRegistry
from gateway.views.deps import get_view_service
from gateway.views.router import router
from gateway.views.service import ViewService

with warnings.catch_warnings():  # starlette nudges towards httpx2; the client is fine
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]


def principal(org: str, sector: str, *roles: str) -> Principal:
    role_set = frozenset(roles or ("analyst",))
    return Principal(
        subject=f"{org}-client", org=org, sector=sector, roles=role_set,
        scopes=scopes_for_roles(role_set),
    )  # fmt: skip


PRINCIPALS = {
    "ngo": principal("ngo-a", "ngo"),
    "bank": principal("bank-a", "financial"),
    "business": principal("biz-a", "business"),
    "nra": principal("national-referral-agency", "government"),
    "uploader": principal("ngo-a", "ngo", "uploader"),
}


@dataclass
class ViewsApp:
    """The app, its real audit log, and a way to swap the views service's collaborators."""

    app: FastAPI
    audit: AuditLog
    registry: ViewRegistry
    store: DeltaStore

    def use(self, *, policy: Any, store: Any = None) -> None:
        service = ViewService(
            views=self.registry, store=store or self.store, policy=policy, audit=self.audit
        )
        self.app.dependency_overrides[get_view_service] = lambda: service

    def events(self, kind: str | None = None) -> list[AuditEvent]:
        return list(self.audit.list_events(limit=1000, kind=kind))


@pytest.fixture
def store(tmp_path: Path) -> DeltaStore:
    return DeltaStore(uri=str(tmp_path / "store"))


@pytest.fixture
def registry() -> Iterator[ViewRegistry]:
    reg = ViewRegistry.load(REPO / "gateway" / "views" / "definitions")
    yield reg
    reg.close()


@pytest.fixture
def policy() -> Iterator[EmbeddedPolicyEngine]:
    engine = EmbeddedPolicyEngine(REPO / "policies")
    yield engine
    engine.close()


@pytest.fixture
def audit_engine(tmp_path: Path) -> Iterator[Engine]:
    settings = Settings(data_dir=tmp_path / "var")
    engine = build_engine(settings)
    upgrade_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def views_app(
    store: DeltaStore, registry: ViewRegistry, policy: Any, audit_engine: Engine
) -> ViewsApp:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    built = ViewsApp(app=app, audit=AuditLog(audit_engine), registry=registry, store=store)
    built.use(policy=policy)

    def _session() -> Iterator[Session]:
        with Session(audit_engine) as session:
            yield session

    app.dependency_overrides[get_session] = _session
    return built


@pytest.fixture
def client(views_app: ViewsApp) -> Iterator[TestClient]:
    app = views_app.app

    def _principal(request: Request) -> Principal:
        name = request.headers.get("x-test-principal", "")
        if name not in PRINCIPALS:
            from gateway.auth.errors import InvalidTokenError

            raise InvalidTokenError("missing bearer token")
        return PRINCIPALS[name]

    app.dependency_overrides[get_principal] = _principal
    with TestClient(app) as c:
        yield c


def as_(name: str) -> dict[str, str]:
    return {"x-test-principal": name}


def append(store: DeltaStore, dataset: str, table: pa.Table, batch: str = "b1") -> None:
    store.append(dataset, table, batch_id=batch)
