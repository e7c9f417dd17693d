"""GatewayClient: OAuth2 client credentials, retries, problem+json errors."""

from __future__ import annotations

import httpx
import pytest

from connectors.client import GatewayClient
from connectors.errors import GatewayProblem, GatewayUnavailableError
from tests.connectors.fake_gateway import CLIENT_ID, CLIENT_SECRET, FakeGateway

BODY = b"not-really-arrow"


def _client(
    transport: httpx.BaseTransport, sleeps: list[float] | None = None, secret: str = CLIENT_SECRET
) -> GatewayClient:
    record = sleeps.append if sleeps is not None else (lambda _s: None)
    return GatewayClient(
        "http://gw/",
        CLIENT_ID,
        secret,
        transport=transport,
        max_retries=3,
        backoff=0.01,
        sleep=record,
    )


def test_token_uses_basic_auth_and_client_credentials(fake: FakeGateway) -> None:
    with _client(fake.transport()) as client:
        contract = client.get_contract("incident_reports")
    assert contract["dataset"] == "incident_reports"
    token_request = fake.requests[0]
    assert token_request.path == "/oauth/token"
    assert token_request.headers["authorization"].startswith("Basic ")
    assert b"grant_type=client_credentials" in token_request.body
    assert CLIENT_SECRET.encode() not in token_request.body
    assert fake.requests[1].headers["authorization"] == "Bearer tok-1"


def test_bad_credentials_raise_a_clean_problem(fake: FakeGateway) -> None:
    with _client(fake.transport(), secret="wrong") as client, pytest.raises(GatewayProblem) as info:
        client.get_contract("incident_reports")
    assert info.value.status == 401
    assert info.value.title == "invalid_client"
    assert "wrong" not in str(info.value)


def test_problem_json_fields_are_carried(fake: FakeGateway) -> None:
    with _client(fake.transport()) as client, pytest.raises(GatewayProblem) as info:
        client.get_contract("no_such_dataset")
    problem = info.value
    assert (problem.status, problem.title) == (404, "Unknown dataset")
    assert problem.detail == "no dataset named 'no_such_dataset'"
    assert problem.instance == "req-123"
    assert problem.type.startswith("https://beacon.example/problems/")


def test_retries_5xx_and_429_then_succeeds(fake: FakeGateway) -> None:
    sleeps: list[float] = []
    fake.fail_next = [503, 429]
    with _client(fake.transport(), sleeps) as client:
        assert client.get_contract("incident_reports")["version"] == "1.0.0"
    assert len(sleeps) == 2


def test_retries_are_bounded(fake: FakeGateway) -> None:
    sleeps: list[float] = []
    fake.fail_next = [502] * 10
    with _client(fake.transport(), sleeps) as client, pytest.raises(GatewayProblem) as info:
        client.get_contract("incident_reports")
    assert info.value.status == 502
    assert len(sleeps) == 3 and len(fake.requests) == 4


def test_4xx_is_not_retried(fake: FakeGateway) -> None:
    with _client(fake.transport()) as client, pytest.raises(GatewayProblem) as info:
        client.upload_batch("incident_reports", BODY, idempotency_key="")
    assert info.value.status == 400
    assert len(fake.uploads) == 1


def test_connection_errors_are_retried_then_reported() -> None:
    calls = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        raise httpx.ConnectError("connection refused", request=request)

    sleeps: list[float] = []
    with (
        _client(httpx.MockTransport(refuse), sleeps) as client,
        pytest.raises(GatewayUnavailableError, match="after 4 attempts"),
    ):
        client.get_contract("incident_reports")
    assert calls == 4
    assert sleeps == sorted(sleeps)  # exponential backoff


def test_expired_or_revoked_token_is_fetched_again_once(fake: FakeGateway) -> None:
    handler = fake.transport()
    rejected = {"n": 0}

    def revoke_first(request: httpx.Request) -> httpx.Response:
        if request.url.path != "/oauth/token" and rejected["n"] == 0:
            rejected["n"] += 1
            return httpx.Response(401, json={"title": "Token expired", "status": 401})
        return handler.handle_request(request)

    with _client(httpx.MockTransport(revoke_first)) as client:
        client.get_contract("incident_reports")
    assert fake.tokens_issued == 2


def test_replay_header_is_reported(fake: FakeGateway) -> None:
    import pyarrow as pa

    from connectors.push import encode_chunk

    body = encode_chunk(
        pa.table(
            {
                "report_id": ["abcdefgh"],
                "received_at": ["2024-01-01"],
                "country": ["TH"],
                "exploitation_type": ["labour"],
                "victim_count": ["1"],
                "source_type": ["hotline"],
                "confidence": ["3"],
            }
        )
    )
    with _client(fake.transport()) as client:
        first = client.upload_batch("incident_reports", body, idempotency_key="k1", rows=1)
        again = client.upload_batch("incident_reports", body, idempotency_key="k1", rows=1)
        with pytest.raises(GatewayProblem) as info:
            client.upload_batch("incident_reports", body + b"x", idempotency_key="k1")
    assert not first.replayed and again.replayed and again.batch_id == first.batch_id
    assert info.value.status == 409
