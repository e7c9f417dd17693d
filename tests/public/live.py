"""A live gateway for the public-channel tests, and scanners for client data left behind."""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from sqlmodel import Session

from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from gateway.store.delta import DeltaStore
from tests.e2e.helpers import bearer

ORGS = (
    ("safe-harbour", "ngo", ["uploader", "analyst"]),
    ("open-door", "ngo", ["uploader"]),
    ("beacon-ops", "public", ["governance"]),
)


@dataclass
class Live:
    url: str
    settings: Settings
    tokens: dict[str, dict[str, str]]

    def client(self, address: str = "127.0.0.1") -> httpx.Client:
        """A client whose connections come from ``address`` (any 127/8 address is loopback)."""
        transport = httpx.HTTPTransport(local_address=address)
        return httpx.Client(base_url=self.url, transport=transport, timeout=30)

    def held(self) -> list[dict[str, object]]:
        r = httpx.get(f"{self.url}/v1/admin/public-reports", headers=self.tokens["beacon-ops"])
        assert r.status_code == 200, r.text
        reports: list[dict[str, object]] = r.json()["reports"]
        return reports

    def upload(self, org: str, rows: int, seed: int) -> None:
        buf = io.BytesIO()
        pacsv.write_csv(generate("incident_reports", rows, seed=seed), buf)
        r = httpx.post(
            f"{self.url}/v1/datasets/incident_reports/batches",
            content=buf.getvalue(),
            headers={
                **self.tokens[org],
                "Content-Type": "text/csv",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            timeout=60,
        )
        assert r.status_code == 201, r.text

    def live_rows(self) -> pa.Table:
        found = DeltaStore.from_settings(self.settings).dataset("incident_reports")
        assert found is not None
        table: pa.Table = found.to_table()
        return table


@contextmanager
def live_gateway(settings: Settings) -> Iterator[Live]:
    settings.ingest.validator = "arrow"
    engine = build_engine(settings)
    upgrade_schema(engine)
    secrets: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        for slug, sector, roles in ORGS:
            create_org(session, slug=slug, name=slug.title(), sector=sector)
            client, secret = create_client(session, org_slug=slug, roles=roles)
            secrets[slug] = (client.client_id, secret)
    engine.dispose()
    with serve_in_thread(create_app(settings)) as url:
        tokens = {slug: bearer(url, cid, secret) for slug, (cid, secret) in secrets.items()}
        yield Live(url, settings, tokens)


def public_report_count(settings: Settings) -> int:
    engine = build_engine(settings)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM public_report")).scalar_one())
    finally:
        engine.dispose()


def database_text(settings: Settings) -> str:
    """Every value of every table of the metadata DB, as one string."""
    engine = build_engine(settings)
    parts: list[str] = []
    try:
        with engine.connect() as conn:
            for table in sa.inspect(conn).get_table_names():
                for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                    parts.append(" ".join(str(v) for v in row))
    finally:
        engine.dispose()
    return "\n".join(parts)


def store_text(settings: Settings, live: Live | None = None) -> str:
    """Every file of the store as bytes decoded leniently, plus the live table's values."""
    root = Path(settings.store.uri)
    parts = [p.read_bytes().decode("latin-1") for p in root.rglob("*") if p.is_file()]
    if live is not None:
        parts.append(str(live.live_rows().to_pylist()))
    return "\n".join(parts)
