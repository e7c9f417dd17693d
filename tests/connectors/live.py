"""A real gateway on 127.0.0.1 for connector tests: SQLite metadata, local Delta store.

Tests read back what arrived from the Delta table itself (``stored``), not from views, which
only show governance-cut releases.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import SecretStr
from sqlmodel import Session

from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from gateway.store.delta import DeltaStore

REPO = Path(__file__).resolve().parents[2]


@dataclass
class LiveGateway:
    url: str
    client_id: str
    secret: str
    settings: Settings

    def stored(self, dataset: str = "incident_reports") -> pa.Table:
        """Every row committed to the dataset's Delta table (empty table before any commit)."""
        found = DeltaStore.from_settings(self.settings).dataset(dataset)
        return pa.table({}) if found is None else found.to_table()

    def profile_text(self, body: str) -> str:
        head = (
            f'gateway_url = "{self.url}"\nclient_id = "{self.client_id}"\n'
            f'client_secret_env = "LIVE_SECRET"\ncontracts_dir = "{REPO / "contracts"}"\n'
        )
        return head + body


def live_settings(tmp_path: Path, **auth: object) -> Settings:
    s = Settings(data_dir=tmp_path / "var", contracts_dir=REPO / "contracts", log_json=True)
    s.database.url = SecretStr(f"sqlite:///{tmp_path / 'beacon.db'}")
    s.store.uri = str(tmp_path / "store")
    s.policy.policy_dir = REPO / "policies"
    for name, value in auth.items():
        setattr(s.auth, name, value)
    return s


def start_gateway(settings: Settings) -> tuple[str, str]:
    engine = build_engine(settings)
    upgrade_schema(engine)
    with Session(engine) as session:
        create_org(session, slug="safe-harbour", name="Safe Harbour", sector="ngo")
        client, secret = create_client(session, org_slug="safe-harbour", roles=["uploader"])
    engine.dispose()
    return client.client_id, secret


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LiveGateway]:
    settings = live_settings(tmp_path)
    client_id, secret = start_gateway(settings)
    monkeypatch.setenv("LIVE_SECRET", secret)
    with serve_in_thread(create_app(settings)) as url:
        yield LiveGateway(url, client_id, secret, settings)
