"""A test app with the real views router, real embedded policy engine and a real Delta store.

The audit log is the real hash-chained one on a throw-away SQLite database, which also holds
the release records (tests/releases covers PostgreSQL). Views read releases only, so a test
loads data with ``publish`` (two partners' batches, then a checked release cut) or ``append``
followed by ``cut_release``. Tests that need a different collaborator (a broken policy engine)
replace the views provider through ``app.dependency_overrides`` (see ``ViewsApp.use``).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute
import pytest
from fastapi import FastAPI, Request
from joserfc.jwk import ECKey
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.models import AuditEvent
from gateway.audit.service import AuditLog
from gateway.auth.principal import Principal, scopes_for_roles
from gateway.contracts.registry import ContractRegistry
from gateway.db import build_engine
from gateway.deps import get_principal, get_session
from gateway.migrations import upgrade_schema
from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.problems import install_error_handlers
from gateway.releases.models import Release
from gateway.releases.service import ReleaseService
from gateway.settings import PrivacySettings, Settings
from gateway.store.delta import DeltaStore
from gateway.views.definitions import ViewRegistry
from gateway.views.deps import get_view_service
from gateway.views.router import router
from gateway.views.service import ViewService

with warnings.catch_warnings():  # starlette nudges towards httpx2; the client is fine
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
RECEIPT_KEY = ECKey.generate_key("P-256", private=True)
RECEIPT_KEY.ensure_kid()
JWKS = {"keys": [RECEIPT_KEY.as_dict(private=False)]}


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
    "ops": principal("beacon-ops", "public", "governance"),  # suppression mode on hotspots
    "uploader": principal("ngo-a", "ngo", "uploader"),
}


@dataclass
class ViewsApp:
    """The app, its real audit log, and a way to swap the views service's collaborators."""

    app: FastAPI
    audit: AuditLog
    registry: ViewRegistry
    store: DeltaStore
    engine: Engine
    contracts: ContractRegistry
    privacy: PrivacySettings = field(default_factory=PrivacySettings)

    def use(self, *, policy: Any, store: Any = None) -> None:
        service = ViewService(
            views=self.registry,
            store=store or self.store,
            policy=policy,
            audit=self.audit,
            receipt_key=RECEIPT_KEY,
            privacy=self.privacy,
            contracts=self.contracts,
        )
        self.app.dependency_overrides[get_view_service] = lambda: service

    def events(self, kind: str | None = None) -> list[AuditEvent]:
        return list(self.audit.list_events(limit=1000, kind=kind))


@pytest.fixture
def store(tmp_path: Path) -> DeltaStore:
    return DeltaStore(uri=str(tmp_path / "store"))


@pytest.fixture(scope="session")
def contracts() -> ContractRegistry:
    return ContractRegistry.load(REPO / "contracts")


@pytest.fixture
def registry(contracts: ContractRegistry) -> Iterator[ViewRegistry]:
    reg = ViewRegistry.load(REPO / "gateway" / "views" / "definitions", contracts)
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
    store: DeltaStore,
    registry: ViewRegistry,
    contracts: ContractRegistry,
    policy: Any,
    audit_engine: Engine,
) -> ViewsApp:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    built = ViewsApp(
        app=app,
        audit=AuditLog(audit_engine),
        registry=registry,
        store=store,
        engine=audit_engine,
        contracts=contracts,
    )
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


def append(
    store: DeltaStore, dataset: str, table: pa.Table, batch: str = "b1", org: str = "partner-x"
) -> None:
    store.append(dataset, table, batch_id=batch, org=org)


def cut_release(views: ViewsApp, dataset: str) -> Release:
    """Cut a release through the real service (the difference check included)."""
    service = ReleaseService(
        store=views.store, contracts=views.contracts, audit=views.audit, settings=PrivacySettings()
    )
    with Session(views.engine, expire_on_commit=False) as session:
        return service.cut(session, dataset=dataset, actor="test")


def publish(views: ViewsApp, dataset: str, table: pa.Table, batch: str = "b1") -> Release:
    """Commit ``table`` as two partners' batches (alternate rows), then cut a release.

    Alternating rows gives every cell of two or more rows both partners' records, so cells
    can pass the rule of P = 2 contributing organisations."""
    rows = pa.array(range(table.num_rows), pa.int64())
    even = pa.compute.equal(pa.compute.bit_wise_and(rows, 1), 0)
    append(views.store, dataset, table.filter(even), f"{batch}-x", "partner-x")
    append(views.store, dataset, table.filter(pa.compute.invert(even)), f"{batch}-y", "partner-y")
    return cut_release(views, dataset)
