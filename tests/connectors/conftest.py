"""Connector test fixtures: the NGO example profile and source, a pseudonymisation key."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from connectors.profile import Profile, load_profile
from connectors.sources import read_source
from gateway.contracts import Contract, load_contract
from tests.connectors.fake_gateway import CLIENT_SECRET, FakeGateway

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "connectors" / "examples"
KEY = "k" * 32


@pytest.fixture(autouse=True)
def _env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BEACON_CONNECT_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("SAFE_HARBOUR_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("BEACON_CLIENT_SECRET", CLIENT_SECRET)


@pytest.fixture
def ngo_profile_path() -> Path:
    return EXAMPLES / "ngo" / "partner.toml"


@pytest.fixture
def ngo_csv() -> Path:
    return EXAMPLES / "ngo" / "cases.csv"


@pytest.fixture
def ngo_profile(ngo_profile_path: Path) -> Profile:
    return load_profile(ngo_profile_path)


@pytest.fixture
def ngo_table(ngo_csv: Path) -> pa.Table:
    return read_source(ngo_csv)


@pytest.fixture
def incident_contract() -> Contract:
    return load_contract(REPO / "contracts" / "incident_reports.yaml")


@pytest.fixture
def fake() -> FakeGateway:
    return FakeGateway()


def write_profile(tmp_path: Path, text: str, name: str = "partner.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
