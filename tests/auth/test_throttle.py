"""Token-endpoint throttling: guessers are cut off with 429 + Retry-After, others unaffected.

Two "replicas" (two apps, each with its own throttle instance) share one metadata database,
on SQLite and PostgreSQL: the counts live in the database, so guessing on both is cut off as
one. The clock is injected so the window can be made to pass.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from sqlalchemy.engine import Engine

from gateway.auth.router import router
from gateway.auth.throttle import TokenThrottle
from gateway.auth.tokens import TokenService
from gateway.settings import Settings
from tests.auth.helpers import TestClient, make_client, minimal_app

pytestmark = pytest.mark.integration
GRANT = {"grant_type": "client_credentials"}


class Clock:
    def __init__(self) -> None:
        self.t = 1_800_000_000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def replicas(
    settings: Settings, engine: Engine, tokens: TokenService, clock: Clock
) -> Iterator[list[TestClient]]:
    with ExitStack() as stack:
        out = []
        for _ in range(2):
            throttle = TokenThrottle(
                engine, per_client=10, per_source=60, window_seconds=300, now=clock
            )
            app = minimal_app(settings, engine, tokens, router, throttle=throttle)
            out.append(stack.enter_context(app))
        yield out


def test_200_bad_secrets_are_cut_off_while_another_client_gets_tokens(
    replicas: list[TestClient], engine: Engine
) -> None:
    victim, _ = make_client(engine, org="hope-ngo")
    other, other_secret = make_client(engine, org="north-bank", sector="financial")
    statuses = []
    for i in range(200):
        r = replicas[i % 2].post("/oauth/token", data=GRANT, auth=(victim, f"guess-{i}"))
        statuses.append(r.status_code)
        if r.status_code == 429:
            assert r.headers["content-type"] == "application/problem+json"
            assert 1 <= int(r.headers["retry-after"]) <= 300
            assert r.headers["cache-control"] == "no-store"
            assert r.json()["retry_after"] == int(r.headers["retry-after"])
    assert statuses[:10] == [401] * 10  # counted across both replicas
    assert statuses[10:] == [429] * 190
    for replica in replicas:
        ok = replica.post("/oauth/token", data=GRANT, auth=(other, other_secret))
        assert ok.status_code == 200, ok.text


def test_the_window_passes_and_the_right_secret_works_again(
    replicas: list[TestClient], engine: Engine, clock: Clock
) -> None:
    victim, secret = make_client(engine)
    for i in range(11):
        replicas[0].post("/oauth/token", data=GRANT, auth=(victim, f"guess-{i}"))
    locked = replicas[1].post("/oauth/token", data=GRANT, auth=(victim, secret))
    assert locked.status_code == 429
    clock.t += int(locked.headers["retry-after"])  # Retry-After is truthful
    assert replicas[1].post("/oauth/token", data=GRANT, auth=(victim, secret)).status_code == 200


def test_many_unknown_ids_from_one_source_are_cut_off(
    replicas: list[TestClient], engine: Engine
) -> None:
    statuses = [
        replicas[i % 2].post("/oauth/token", data=GRANT, auth=(f"nobody-{i}", "guess")).status_code
        for i in range(70)
    ]
    assert statuses[:60] == [401] * 60 and statuses[60:] == [429] * 10
