"""A release service on the real stack: metadata DB (SQLite and PostgreSQL), Delta store."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.synthetic.synth import generate
from gateway.audit.service import AuditLog
from gateway.contracts.registry import ContractRegistry
from gateway.releases.service import ReleaseService
from gateway.settings import Settings
from gateway.store.delta import DeltaStore


@dataclass
class Releases:
    service: ReleaseService
    engine: Engine
    store: DeltaStore
    batches: int = 0

    def commit(self, org: str, n: int, *, seed: int, dataset: str = "incident_reports") -> None:
        """``n`` new rows (fresh entity ids per seed) as one batch of ``org``."""
        self.batches += 1
        table: pa.Table = generate(dataset, n, seed=seed)
        self.store.append(dataset, table, batch_id=f"b{self.batches}", org=org)

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)


@pytest.fixture
def releases(settings: Settings, engine: Engine) -> Releases:
    store = DeltaStore.from_settings(settings)
    service = ReleaseService(
        store=store,
        contracts=ContractRegistry.load(settings.contracts_dir),
        audit=AuditLog(engine),
        settings=settings.privacy,
    )
    return Releases(service, engine, store)
