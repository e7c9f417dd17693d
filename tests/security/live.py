"""A live gateway (full app, real HTTP) shared by a test module, on SQLite and on PostgreSQL.

Starting the gateway, hashing client secrets and seeding batches once per module keeps the
matrices fast; every case checks the store and the DB before and after, so sharing is safe.
The module also runs a second app over the *same* DB, store and signing key whose policy
backend is an OPA on a closed port: the "policy engine down" cases hit it.
"""

from __future__ import annotations

import io
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv
import sqlalchemy as sa
from joserfc.jwk import KeySet
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from connectors.synthetic.corrupt import inject_errors
from connectors.synthetic.synth import generate
from gateway.auth.keys import StaticKeys, load_signing_key
from gateway.auth.service import create_client, create_org
from gateway.auth.tokens import TokenService
from gateway.settings import Settings
from gateway.store.delta import QUARANTINE_DIR, DeltaStore
from tests.e2e.helpers import cut_release

REPO = Path(__file__).resolve().parents[2]
DATASETS = (
    "incident_reports",
    "financial_indicators",
    "open_source_items",
    "supply_chain_findings",
)
MAX_BODY_BYTES = 32 * 1024
SEED_KEY = "seed-upload-0001"  # the Idempotency-Key of the NGO's seeded batch

# org slug → sector; client name → (org slug, roles)
ORGS = {
    "safe-harbour": "ngo",
    "freedom-network": "ngo",
    "northbank": "financial",
    "beacon-ops": "public",
}
CLIENTS: dict[str, tuple[str, list[str]]] = {
    "ngo_uploader": ("safe-harbour", ["uploader"]),
    "ngo_analyst": ("safe-harbour", ["analyst"]),
    "ngo2_uploader": ("freedom-network", ["uploader"]),
    "bank": ("northbank", ["uploader", "analyst"]),
    "governance": ("beacon-ops", ["governance"]),
    "admin": ("beacon-ops", ["admin"]),
}


def csv_bytes(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf)
    return buf.getvalue()


def make_settings(root: Path, database_url: str) -> Settings:
    s = Settings(data_dir=root / "var", contracts_dir=REPO / "contracts", log_json=True)
    s.database.url = SecretStr(database_url)
    s.store.uri = str(root / "store")
    s.policy.policy_dir = REPO / "policies"
    s.ingest.validator = "arrow"  # same rules as GX, faster; the e2e test covers GX
    s.ingest.max_body_bytes = MAX_BODY_BYTES
    return s


@dataclass(frozen=True)
class Snapshot:
    """What a refused request must not change: Delta tables, batch records, quarantine."""

    delta: dict[str, tuple[int | None, int]]
    batches: int
    quarantine: tuple[str, ...]


@dataclass
class Gateway:
    url: str
    down_url: str  # same state, policy engine unreachable
    settings: Settings
    engine: Engine
    tokens: dict[str, str]
    secrets: dict[str, tuple[str, str]]  # name → (client_id, secret)
    batches: dict[str, str] = field(default_factory=dict)  # org slug → a batch it uploaded

    def auth(self, who: str | None) -> dict[str, str]:
        return {} if who is None else {"Authorization": f"Bearer {self.tokens[who]}"}

    def snapshot(self) -> Snapshot:
        store = DeltaStore.from_settings(self.settings)  # a fresh adapter: what is on disk
        delta = {}
        for name in DATASETS:
            data = store.dataset(name)
            delta[name] = (store.version(name), 0 if data is None else data.count_rows())
        with self.engine.connect() as conn:
            batches = conn.execute(sa.text("SELECT count(*) FROM ingest_batch")).scalar_one()
        root = Path(store.uri) / QUARANTINE_DIR
        files = tuple(sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()))
        return Snapshot(delta=delta, batches=int(batches), quarantine=files)

    def upload(
        self,
        body: bytes,
        *,
        who: str | None = "ngo_uploader",
        dataset: str = "incident_reports",
        content_type: str = "text/csv",
        key: str | None = None,
        base: str | None = None,
    ) -> httpx.Response:
        headers = {**self.auth(who), "Content-Type": content_type}
        headers["Idempotency-Key"] = key or str(uuid.uuid4())
        return httpx.post(
            f"{base or self.url}/v1/datasets/{dataset}/batches",
            content=body,
            headers=headers,
            timeout=60,
        )

    def token_service(self, **overrides: Any) -> TokenService:
        """A token service with the gateway's own signing key (for forged-but-signed tokens)."""
        key = load_signing_key(self.settings)
        args: dict[str, Any] = {
            "engine": self.engine,
            "issuer": self.settings.auth.issuer,
            "audience": self.settings.auth.audience,
            "signing_key": key,
            "verify_keys": StaticKeys(KeySet([key])),
            "ttl_seconds": self.settings.auth.token_ttl_seconds,
        }
        args.update(overrides)
        return TokenService(**args)


def seed_clients(settings: Settings, engine: Engine) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        for slug, sector in ORGS.items():
            create_org(session, slug=slug, name=slug.title(), sector=sector)
        for name, (slug, roles) in CLIENTS.items():
            client, secret = create_client(session, org_slug=slug, roles=roles)
            out[name] = (client.client_id, secret)
    return out


def seed_batches(gw: Gateway) -> None:
    """NGO batches (one with quarantined rows), one bank batch, and a release of the NGOs' data.

    Views read releases only, and a release needs two contributing organisations.
    """
    ngo_rows, _ = inject_errors(generate("incident_reports", 40, seed=7), 0.1, seed=2)
    r = gw.upload(csv_bytes(ngo_rows), who="ngo_uploader", key=SEED_KEY)
    assert r.status_code == 201, r.text
    assert r.json()["rejected"] > 0
    gw.batches["safe-harbour"] = r.json()["batch_id"]
    r = gw.upload(csv_bytes(generate("incident_reports", 20, seed=8)), who="ngo2_uploader")
    assert r.status_code == 201, r.text
    cut_release(gw.url, gw.auth("governance"), "incident_reports")
    bank_rows = generate("financial_indicators", 40, seed=7)
    r = gw.upload(csv_bytes(bank_rows), who="bank", dataset="financial_indicators")
    assert r.status_code == 201, r.text
    gw.batches["northbank"] = r.json()["batch_id"]


def expired_token(gw: Gateway, who: str) -> str:
    past = time.time() - 3600
    client_id, secret = gw.secrets[who]
    return str(
        gw.token_service(now=lambda: past, ttl_seconds=60).issue(client_id, secret)["access_token"]
    )


def wrong_audience_token(gw: Gateway, who: str) -> str:
    client_id, secret = gw.secrets[who]
    return str(gw.token_service(audience="some-other-api").issue(client_id, secret)["access_token"])
