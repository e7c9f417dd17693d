"""Shared fixtures: settings on SQLite *and* PostgreSQL, real OPA, a live gateway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from gateway.auth.tokens import TokenService
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.settings import Settings

pytest_plugins = ["tests.fixtures.postgres", "tests.fixtures.opa"]

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that touches the metadata DB runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'beacon.db'}"
    from tests.fixtures.postgres import fresh_pg_database

    return fresh_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Embedded defaults in a temporary folder (embedded Rego, local Delta store)."""
    s = Settings(
        data_dir=tmp_path / "var",
        contracts_dir=REPO / "contracts",
        log_json=True,
    )
    s.database.url = SecretStr(database_url)
    s.store.uri = str(tmp_path / "store")
    s.policy.policy_dir = REPO / "policies"
    s.public.support_directory = REPO / "policies" / "beacon" / "support" / "data.json"
    return s


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    """The metadata database of ``settings``, migrated to the current schema."""
    engine = build_engine(settings)
    upgrade_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def tokens(settings: Settings, engine: Engine) -> TokenService:
    return TokenService.from_settings(settings, engine)
