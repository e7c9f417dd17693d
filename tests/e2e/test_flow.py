"""The whole Collect → Share flow over real HTTP, on both databases and both policy backends."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
import sqlalchemy as sa
from sqlmodel import Session
from typer.testing import CliRunner

from connectors.synthetic.corrupt import inject_errors
from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.cli import app as beacon_cli
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.e2e.helpers import bearer, cut_release

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@dataclass
class Org:
    slug: str
    client_id: str
    secret: str


@pytest.fixture(params=["embedded", "opa"])
def e2e_settings(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    if request.param == "opa":
        settings.policy.backend = "opa"
        settings.policy.opa_url = request.getfixturevalue("opa_server")
    return settings


@pytest.fixture
def orgs(e2e_settings: Settings) -> dict[str, Org]:
    engine = build_engine(e2e_settings)
    upgrade_schema(engine)
    out: dict[str, Org] = {}
    with Session(engine) as session:
        for slug, sector, roles in (
            ("northbank", "financial", ["uploader", "analyst"]),
            ("meridian-bank", "financial", ["uploader"]),
            ("safe-harbour", "ngo", ["uploader", "analyst"]),
            ("beacon-ops", "public", ["governance"]),
        ):
            create_org(session, slug=slug, name=slug.title(), sector=sector)
            client, secret = create_client(session, org_slug=slug, roles=roles)
            out[slug] = Org(slug, client.client_id, secret)
    engine.dispose()
    return out


@pytest.fixture
def base_url(e2e_settings: Settings, orgs: dict[str, Org]) -> Iterator[str]:
    with serve_in_thread(create_app(e2e_settings)) as url:
        yield url


def _token(base_url: str, org: Org) -> dict[str, str]:
    return bearer(base_url, org.client_id, org.secret)


def _csv(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pacsv.write_csv(table, buf)
    return buf.getvalue()


def _upload(
    base_url: str, auth: dict[str, str], dataset: str, body: bytes, key: str
) -> httpx.Response:
    return httpx.post(
        f"{base_url}/v1/datasets/{dataset}/batches",
        content=body,
        headers={**auth, "Content-Type": "text/csv", "Idempotency-Key": key},
        timeout=120,
    )


def test_collect_to_share_end_to_end(
    base_url: str, orgs: dict[str, Org], e2e_settings: Settings, tmp_path: Path
) -> None:
    bank = _token(base_url, orgs["northbank"])
    ngo = _token(base_url, orgs["safe-harbour"])

    # Collect: the bank uploads a batch, some rows invalid.
    clean = generate("financial_indicators", 3000, seed=11)
    broken, bad_rows = inject_errors(clean, 0.01, seed=3)
    body = _csv(broken)
    key = str(uuid.uuid4())
    first = _upload(base_url, bank, "financial_indicators", body, key)
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["rejected"] == len(bad_rows) > 0
    assert result["accepted"] == clean.num_rows - len(bad_rows)
    assert sum(result["reasons"].values()) >= len(bad_rows)

    # A retried upload is not doubled, a different body under the same key is refused.
    again = _upload(base_url, bank, "financial_indicators", body, key)
    assert again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["batch_id"] == result["batch_id"]
    conflict = _upload(base_url, bank, "financial_indicators", body + b"\n", key)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"].startswith("application/problem+json")

    # A second bank contributes; nothing is visible until governance cuts a release.
    meridian = _token(base_url, orgs["meridian-bank"])
    other = _upload(
        base_url,
        meridian,
        "financial_indicators",
        _csv(generate("financial_indicators", 400, seed=12)),
        str(uuid.uuid4()),
    )
    assert other.status_code == 201, other.text
    accepted = result["accepted"] + other.json()["accepted"]
    unreleased = httpx.get(f"{base_url}/v1/views/financial_typologies", headers=ngo)
    assert unreleased.status_code == 409
    assert unreleased.json()["type"].endswith("/no-release")
    release = cut_release(base_url, _token(base_url, orgs["beacon-ops"]), "financial_indicators")

    # Share: the NGO queries a permitted view and gets suppressed aggregates only.
    listed = httpx.get(f"{base_url}/v1/views", headers=ngo).json()
    names = {v["name"] for v in listed["views"]}
    assert "financial_typologies" in names and "supply_chain_risk" not in names
    view = httpx.get(
        f"{base_url}/v1/views/financial_typologies",
        params={"group_by": "country,typology"},
        headers=ngo,
    )
    assert view.status_code == 200, view.text
    payload = view.json()
    assert payload["release"] == release["id"]
    k = payload["min_k"]
    assert k >= 3
    assert payload["mode"] == "cellkey" and "suppressed_cells" not in payload
    assert payload["cells_not_shown"] > 0  # finite public domains (countries x typologies)
    assert payload["rows"], "some cells are large enough to publish"
    # Released cells rest on >= k other organisations' records; cell-key noise is <= 3.
    assert all(row["record_count"] >= k - 3 for row in payload["rows"])
    assert all(
        set(row) <= {"country", "typology", "record_count", "alert_sum", "sar_sum"}
        for row in payload["rows"]
    )
    # Not doubled: the published total never exceeds what was accepted once (plus the noise).
    assert sum(row["record_count"] for row in payload["rows"]) <= accepted + 3 * len(
        payload["rows"]
    )
    # The answer's receipt verifies against the gateway's own published key, and not once
    # a row is edited.
    answer = tmp_path / "answer.json"
    answer.write_bytes(view.content)
    jwks = f"{base_url}/.well-known/jwks.json"
    verified = CliRunner().invoke(beacon_cli, ["receipts", "verify", str(answer), "--jwks", jwks])
    assert verified.exit_code == 0, verified.output
    edited = json.loads(view.content)
    edited["rows"][0]["record_count"] += 1
    answer.write_text(json.dumps(edited))
    tampered = CliRunner().invoke(beacon_cli, ["receipts", "verify", str(answer), "--jwks", jwks])
    assert tampered.exit_code == 1

    # Denied: a view without a grant, a dimension outside the grant, and raw identifiers.
    denied_view = httpx.get(f"{base_url}/v1/views/supply_chain_risk", headers=ngo)
    assert denied_view.status_code == 403
    assert denied_view.headers["content-type"].startswith("application/problem+json")
    denied_dim = httpx.get(
        f"{base_url}/v1/views/incident_hotspots", params={"group_by": "h3_cell"}, headers=ngo
    )
    assert denied_dim.status_code == 403
    assert any(r.startswith("dimension_not_permitted") for r in denied_dim.json()["reasons"])
    raw = httpx.get(
        f"{base_url}/v1/views/financial_typologies", params={"group_by": "record_id"}, headers=ngo
    )
    assert raw.status_code in (400, 403)
    assert "rows" not in raw.json()

    # BOLA: the bank cannot read the NGO's batch or quarantine.
    ngo_batch = _upload(
        base_url,
        ngo,
        "incident_reports",
        _csv(inject_errors(generate("incident_reports", 500, seed=5), 0.02, seed=9)[0]),
        str(uuid.uuid4()),
    )
    assert ngo_batch.status_code == 201, ngo_batch.text
    batch_id = ngo_batch.json()["batch_id"]
    own = httpx.get(f"{base_url}/v1/batches/{batch_id}/rejections", headers=ngo)
    assert own.status_code == 200
    for path in (f"/v1/batches/{batch_id}", f"/v1/batches/{batch_id}/rejections"):
        other = httpx.get(base_url + path, headers=bank)
        assert other.status_code == 404
        assert "safe-harbour" not in other.text

    # Audit: the chain verifies, then fails after one row is edited.
    env = {"BEACON_DATABASE__URL": e2e_settings.database.url.get_secret_value()}
    ok = CliRunner().invoke(beacon_cli, ["audit", "verify"], env=env)
    assert ok.exit_code == 0, ok.output
    engine = build_engine(e2e_settings)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET outcome = 'tampered' WHERE seq = 3"))
    engine.dispose()
    bad = CliRunner().invoke(beacon_cli, ["audit", "verify"], env=env)
    assert bad.exit_code == 1
    assert "3" in bad.output
