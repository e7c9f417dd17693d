"""Fixtures: one live gateway (and its policy-down twin) per test module and database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from gateway.app import create_app
from gateway.auth.tokens import TokenService
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import free_port, serve_in_thread
from tests.security.live import Gateway, make_settings, seed_batches, seed_clients


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def module_database_url(request: pytest.FixtureRequest, tmp_path_factory: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'beacon.db'}"
    from tests.fixtures.postgres import fresh_pg_database

    return fresh_pg_database(request.getfixturevalue("pg_admin_url"))


@pytest.fixture(scope="module")
def gateway(module_database_url: str, tmp_path_factory: Any) -> Iterator[Gateway]:
    settings = make_settings(tmp_path_factory.mktemp("gw"), module_database_url)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings)
    upgrade_schema(engine)
    clients = seed_clients(settings, engine)
    down = settings.model_copy(deep=True)
    down.policy.backend = "opa"
    down.policy.opa_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    down.policy.timeout_seconds = 1.0
    with ExitStack() as stack:
        url = stack.enter_context(serve_in_thread(create_app(settings)))
        down_url = stack.enter_context(serve_in_thread(create_app(down)))
        issuer = TokenService.from_settings(settings, engine)
        tokens = {
            name: issuer.issue(cid, secret)["access_token"]
            for name, (cid, secret) in clients.items()
        }
        gw = Gateway(url, down_url, settings, engine, tokens, clients)
        seed_batches(gw)
        yield gw
    engine.dispose()
