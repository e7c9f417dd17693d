"""An ingest app on the real stack: metadata DB (SQLite and PostgreSQL), local Delta store,
embedded Rego policy (audited wrapper), real signed tokens, hash-chained audit.

The app is the real one from ``create_app``; tests may swap a port on ``stack.ctx`` (e.g. a
crashing store) to exercise failure paths.
"""

from __future__ import annotations

import csv
import io
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session

from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.context import AppContext
from gateway.settings import Settings

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


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The real app (``create_app``) with three orgs and their uploader/analyst clients."""
    settings.ingest.validator = "arrow"
    settings.ingest.max_body_bytes = 64 * 1024
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        ctx: AppContext = client.app.state.ctx  # type: ignore[attr-defined]
        tokens: dict[str, str] = {}
        with Session(ctx.engine) as session:
            for slug, sector in (("ngo-a", "ngo"), ("ngo-b", "ngo"), ("bank-c", "financial")):
                create_org(session, slug=slug, name=slug, sector=sector)
            for name, slug, roles in (
                ("ngo_a", "ngo-a", ["uploader"]),
                ("ngo_b", "ngo-b", ["uploader"]),
                ("bank_c", "bank-c", ["uploader"]),
                ("analyst_a", "ngo-a", ["analyst"]),
            ):
                created, secret = create_client(session, org_slug=slug, roles=roles)
                tokens[name] = ctx.tokens.issue(created.client_id, secret)["access_token"]
        yield Stack(client=client, ctx=ctx, tokens=tokens)
