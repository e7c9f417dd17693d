"""Fixtures for the audit tests (every DB-backed test runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from gateway.auth.tokens import TokenService
from gateway.settings import Settings
from tests.auth.helpers import our_engine


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    with our_engine(settings) as engine:
        yield engine


@pytest.fixture
def tokens(settings: Settings, engine: Engine) -> TokenService:
    return TokenService.from_settings(settings, engine)
