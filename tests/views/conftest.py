"""A test app with the real views router, embedded policy engine, Delta store and SQLite DB.

Views read releases only, so a test loads data with ``publish`` (two partners' batches, then a
checked release cut) or ``append`` followed by ``cut_release``.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pytest
from fastapi import FastAPI, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.auth.principal import Principal, scopes_for_roles
from gateway.contracts.registry import ContractRegistry
from gateway.db import build_engine
from gateway.deps import get_principal
from gateway.migrations import upgrade_schema
from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.problems import install_error_handlers
from gateway.releases.models import Release
from gateway.releases.service import ReleaseService
from gateway.settings import PrivacySettings, Settings
from gateway.store.delta import DeltaStore
from gateway.views.definitions import ViewRegistry
from gateway.views.router import router

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
class RecordingAudit:
    """Fake of the audit port: keeps the events in memory."""

    events: list[dict[str, Any]] = field(default_factory=list)

    def record(self, **event: Any) -> None:
        self.events.append(event)


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
def engine(tmp_path: Path) -> Iterator[Engine]:
    """A real (SQLite) metadata DB for the release records; tests/releases covers PostgreSQL."""
    settings = Settings(data_dir=tmp_path / "var")
    db = build_engine(settings)
    upgrade_schema(db)
    yield db
    db.dispose()


@pytest.fixture
def ctx(store: DeltaStore, registry: ViewRegistry, policy: Any, engine: Engine) -> SimpleNamespace:
    return SimpleNamespace(
        views=registry,
        store=store,
        policy=policy,
        audit=RecordingAudit(),
        engine=engine,
        contracts=ContractRegistry.load(REPO / "contracts"),
        privacy=PrivacySettings(),
    )


@pytest.fixture
def client(ctx: SimpleNamespace) -> Iterator[TestClient]:
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.ctx = ctx

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


def cut_release(ctx: SimpleNamespace, dataset: str) -> Release:
    """Cut a release through the real service (the difference check included)."""
    service = ReleaseService(
        store=ctx.store, contracts=ctx.contracts, audit=ctx.audit, settings=ctx.privacy
    )
    with Session(ctx.engine, expire_on_commit=False) as session:
        return service.cut(session, dataset=dataset, actor="test")


def publish(ctx: SimpleNamespace, dataset: str, table: pa.Table, batch: str = "b1") -> Release:
    """Commit ``table`` as two partners' batches (halves), then cut a release."""
    half = table.num_rows // 2
    append(ctx.store, dataset, table.slice(0, half), f"{batch}-x", "partner-x")
    append(ctx.store, dataset, table.slice(half), f"{batch}-y", "partner-y")
    return cut_release(ctx, dataset)
