"""Logs never carry row data or credentials; every line is JSON; problems quote the request id.

Defends against the log pipeline becoming a second, unprotected copy of partner data: cell
values (free text, a bad cell quoted in a rejection message), client secrets and access tokens
must not reach the log, while the request id ties each line to the problem a caller reports.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pyarrow as pa
import pytest
import structlog
from sqlmodel import Session

from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.security.live import csv_bytes
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

SECRET_NARRATIVE = "ZZ-SECRET-NARRATIVE-123"
BAD_CELL = "ZZ-BAD-CELL-456"  # not an ISO country: the row is quarantined with this value
LIFECYCLE_EVENTS = {"gateway.started"}


@pytest.fixture
def restore_structlog() -> Iterator[None]:
    """create_app binds structlog to capfd's stream; put the previous set-up back afterwards."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def _upload_body() -> bytes:
    table = generate("incident_reports", 30, seed=4)
    narrative = [SECRET_NARRATIVE] * table.num_rows
    table = table.set_column(
        table.schema.get_field_index("narrative"), "narrative", pa.array(narrative)
    )
    country = table.column("country").to_pylist()
    country[3] = BAD_CELL
    index = table.schema.get_field_index("country")
    return csv_bytes(table.set_column(index, "country", pa.array(country)))


def test_logs_are_json_with_request_ids_and_no_row_data(
    settings: Settings, capfd: pytest.CaptureFixture[str], restore_structlog: None
) -> None:
    settings.log_json = True
    settings.ingest.validator = "arrow"
    engine = build_engine(settings)
    upgrade_schema(engine)
    with Session(engine) as session:
        create_org(session, slug="safe-harbour", name="Safe Harbour", sector="ngo")
        client, secret = create_client(session, org_slug="safe-harbour", roles=["uploader"])
    engine.dispose()
    body = _upload_body()
    capfd.readouterr()  # only what the gateway writes from here on

    with serve_in_thread(create_app(settings)) as url:
        token_r = httpx.post(
            f"{url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client.client_id, secret),
        )
        assert token_r.status_code == 200, token_r.text
        token = token_r.json()["access_token"]
        auth = {"Authorization": f"Bearer {token}", "Content-Type": "text/csv"}
        ok = httpx.post(
            f"{url}/v1/datasets/incident_reports/batches",
            content=body,
            headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert ok.status_code == 201, ok.text
        assert ok.json()["rejected"] >= 1
        rejections = httpx.get(f"{url}/v1/batches/{ok.json()['batch_id']}/rejections", headers=auth)
        assert BAD_CELL in rejections.text  # the owner may see it; the log may not
        # Problems: a caller-chosen request id is echoed; a generated one otherwise.
        chosen = "trace-" + uuid.uuid4().hex
        problems = [
            httpx.post(
                f"{url}/v1/datasets/incident_reports/batches",
                content=body,
                headers={**auth, "X-Request-ID": chosen},
            ),
            httpx.post(
                f"{url}/v1/datasets/incident_reports/batches",
                content=body.replace(b"country", b"kountry", 1),
                headers={**auth, "Idempotency-Key": str(uuid.uuid4())},
            ),
            httpx.get(f"{url}/v1/views", headers={"Authorization": f"Bearer {token}x"}),
        ]
    out, err = capfd.readouterr()

    assert problems[0].headers["x-request-id"] == chosen
    for r, (status, kind) in zip(
        problems,
        [(400, "idempotency-key"), (422, "schema-mismatch"), (401, "invalid-token")],
        strict=True,
    ):
        body_json = assert_problem(r, status, kind)  # instance == urn:…:<X-Request-ID>
        assert body_json["instance"].rsplit(":", 1)[1] == r.headers["x-request-id"]

    lines = [line for line in (out + err).splitlines() if line.strip()]
    assert lines, "the gateway logged nothing"
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line[:200]!r}")
    for needle in (SECRET_NARRATIVE, BAD_CELL, secret, token, token.split(".")[1]):
        assert needle not in out + err, f"{needle[:12]}… leaked into the log"

    request_ids = {r.headers["x-request-id"] for r in [token_r, ok, rejections, *problems]}
    scoped = [rec for rec in records if rec.get("event") not in LIFECYCLE_EVENTS]
    assert scoped and all(rec.get("request_id") for rec in scoped), scoped
    assert {rec["request_id"] for rec in scoped} == request_ids
    served = {rec["request_id"] for rec in records if rec.get("event") == "http.request"}
    assert served == request_ids  # one access line per request, under its own id
