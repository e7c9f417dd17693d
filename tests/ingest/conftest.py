"""An ingest app on the real stack: metadata DB (SQLite and PostgreSQL), local Delta store,
embedded Rego policy (audited wrapper), real signed tokens, hash-chained audit.

Until ``create_app`` can build the whole context (migrations land with the lead), the app here is
the ingest router + the shared error handlers + the request-id middleware around an AppContext
built from the real components. Views are not needed (``views=None``).
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from sqlmodel import Session

from gateway.app import _request_context
from gateway.audit.service import AuditLog
from gateway.auth.service import create_client, create_org
from gateway.auth.tokens import TokenService
from gateway.context import AppContext
from gateway.contracts.registry import ContractRegistry
from gateway.db import build_engine
from gateway.errors import install_error_handlers
from gateway.ingest.router import router as ingest_router
from gateway.logging import configure_logging
from gateway.migrations import upgrade_schema
from gateway.policy.audited import AuditedPolicyEngine
from gateway.policy.embedded import EmbeddedPolicyEngine
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
    ctx: AppContext
    tokens: dict[str, str]  # name → bearer token

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
        data = self.ctx.store.dataset(dataset)
        return 0 if data is None else data.count_rows()


def build_app(ctx: AppContext) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    app.middleware("http")(_request_context)
    app.include_router(ingest_router)
    app.state.ctx = ctx
    return app


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    settings.ingest.validator = "arrow"
    settings.ingest.max_body_bytes = 64 * 1024
    configure_logging(json=True, level="INFO")
    engine = build_engine(settings)
    upgrade_schema(engine)
    audit = AuditLog(engine)  # as in build_context: every decision audited by the wrapper
    ctx = AppContext(
        settings=settings,
        engine=engine,
        store=DeltaStore.from_settings(settings),
        policy=AuditedPolicyEngine(EmbeddedPolicyEngine(settings.policy.policy_dir), audit),
        contracts=ContractRegistry.load(settings.contracts_dir),
        views=None,  # type: ignore[arg-type]
        tokens=TokenService.from_settings(settings, engine),
        audit=audit,
    )
    tokens: dict[str, str] = {}
    with Session(engine) as session:
        for slug, sector in (("ngo-a", "ngo"), ("ngo-b", "ngo"), ("bank-c", "financial")):
            create_org(session, slug=slug, name=slug, sector=sector)
        for name, slug, roles in (
            ("ngo_a", "ngo-a", ["uploader"]),
            ("ngo_b", "ngo-b", ["uploader"]),
            ("bank_c", "bank-c", ["uploader"]),
            ("analyst_a", "ngo-a", ["analyst"]),
        ):
            client, secret = create_client(session, org_slug=slug, roles=roles)
            tokens[name] = ctx.tokens.issue(client.client_id, secret)["access_token"]
    with TestClient(build_app(ctx), raise_server_exceptions=False) as client:
        yield Stack(client=client, ctx=ctx, tokens=tokens)
    ctx.policy.close()
    engine.dispose()
