"""An ingest app on the real stack: metadata DB (SQLite and PostgreSQL), local Delta store,
embedded Rego policy (audited wrapper), real signed tokens, hash-chained audit.

The app is the real one from ``create_app``; tests swap a collaborator of the ingest service
(e.g. a crashing store) with ``stack.use(...)``, which replaces the ingest provider through
``app.dependency_overrides``.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.app import create_app
from gateway.audit.deps import AUDIT_LOG
from gateway.audit.service import AuditLog
from gateway.auth.deps import TOKEN_SERVICE
from gateway.auth.service import create_client, create_org
from gateway.deps import ENGINE
from gateway.ingest.deps import INGEST_SERVICE, get_ingest_service
from gateway.ingest.service import IngestService
from gateway.providers import Providers
from gateway.settings import Settings
from gateway.store.delta import DeltaStore

with warnings.catch_warnings():
    # starlette >= 1.x warns that its TestClient should move to httpx2; it works with httpx.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

COLUMNS = [
    "report_id",
    "received_at",
    "country",
    "exploitation_type",
    "victim_count",
    "source_type",
    "confidence",
]


def incident_rows(n: int, *, start: int = 0) -> list[dict[str, str]]:
    return [
        {
            "report_id": f"rep-{i:08d}",
            "received_at": "2025-06-01T10:00:00Z",
            "country": "TH",
            "exploitation_type": "labour",
            "victim_count": str(1 + i % 5),
            "source_type": "hotline",
            "confidence": "3",
        }
        for i in range(start, start + n)
    ]


def to_csv(rows: list[dict[str, str]], columns: list[str] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns or list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@dataclass
class Stack:
    client: TestClient
    providers: Providers
    settings: Settings
    tokens: dict[str, str]  # name → bearer token

    @property
    def engine(self) -> Engine:
        return self.providers.get(ENGINE)

    @property
    def audit(self) -> AuditLog:
        return self.providers.get(AUDIT_LOG)

    @property
    def ingest(self) -> IngestService:
        return self.providers.get(INGEST_SERVICE)

    @property
    def store(self) -> DeltaStore:
        return self.ingest.store

    def use(self, **collaborators: Any) -> None:
        """Serve uploads with the built service but some collaborators replaced."""
        real = self.ingest
        parts: dict[str, Any] = {
            "store": real.store,
            "contracts": real.contracts,
            "policy": real.policy,
            "audit": real.audit,
            "validator": real.validator,
            "stale_after": real.stale_after,
        }
        service = IngestService(**{**parts, **collaborators})
        self.client.app.dependency_overrides[get_ingest_service] = lambda: service  # type: ignore[attr-defined]

    def reset(self) -> None:
        self.client.app.dependency_overrides.pop(get_ingest_service, None)  # type: ignore[attr-defined]

    def headers(self, who: str, key: str | None = "k-1", ctype: str = "text/csv") -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.tokens[who]}", "Content-Type": ctype}
        if key is not None:
            h["Idempotency-Key"] = key
        return h

    def upload(
        self,
        body: bytes,
        *,
        who: str = "ngo_a",
        key: str | None = "k-1",
        ctype: str = "text/csv",
        dataset: str = "incident_reports",
    ):  # type: ignore[no-untyped-def]
        return self.client.post(
            f"/v1/datasets/{dataset}/batches", content=body, headers=self.headers(who, key, ctype)
        )

    def delta_rows(self, dataset: str = "incident_reports") -> int:
        data = self.store.dataset(dataset)
        return 0 if data is None else data.count_rows()


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The real app (``create_app``) with three orgs and their uploader/analyst clients."""
    settings.ingest.validator = "arrow"
    settings.ingest.max_body_bytes = 64 * 1024
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        providers: Providers = client.app.state.providers  # type: ignore[attr-defined]
        tokens: dict[str, str] = {}
        with Session(providers.get(ENGINE)) as session:
            for slug, sector in (("ngo-a", "ngo"), ("ngo-b", "ngo"), ("bank-c", "financial")):
                create_org(session, slug=slug, name=slug, sector=sector)
            for name, slug, roles in (
                ("ngo_a", "ngo-a", ["uploader"]),
                ("ngo_b", "ngo-b", ["uploader"]),
                ("bank_c", "bank-c", ["uploader"]),
                ("analyst_a", "ngo-a", ["analyst"]),
            ):
                created, secret = create_client(session, org_slug=slug, roles=roles)
                issued = providers.get(TOKEN_SERVICE).issue(created.client_id, secret)
                tokens[name] = issued["access_token"]
        yield Stack(client=client, providers=providers, settings=settings, tokens=tokens)
