"""Adding a dataset is one contract file plus one view file (and its grants): proven end to end.

A fifth dataset is written into temporary copies of the contracts, views and policy folders;
the real app loads them, a partner uploads a CSV batch over HTTP and another query reads the
view back through the embedded policy engine and disclosure control.
"""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from pydantic import SecretStr
from sqlmodel import Session

from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.e2e.helpers import bearer, cut_release

pytestmark = [pytest.mark.integration]

REPO = Path(__file__).resolve().parents[2]

CONTRACT = """\
dataset: shelter_referrals
version: 1.2.0
title: Shelter referrals
description: Referrals of survivors to shelter and support services, one row per referral.
columns:
  - name: referral_id
    type: string
    classification: direct_identifier
    required: true
    constraints: {unique: true, pattern: "^[A-Za-z0-9_-]{8,64}$"}
  - name: referred_on
    type: date
    classification: quasi_identifier
    required: true
    rungs: {time: [year, month]}
  - name: country
    type: string
    classification: non_personal
    required: true
    rungs: {geo: country}
    constraints: {allowed_taxonomy: iso_3166_1_alpha2}
  - name: service
    type: string
    classification: non_personal
    required: true
    constraints: {allowed: [shelter, legal, medical, counselling]}
  - name: age_band
    type: string
    classification: quasi_identifier
    rungs: {category: true}
    constraints: {allowed: ["0-17", "18-35", "36+"]}
  - name: people
    type: int32
    classification: sensitive
    required: true
    constraints: {minimum: 1, maximum: 50}
  - name: notes
    type: string
    classification: free_text
"""

VIEW = """\
name: shelter_services
title: Shelter services
dataset: shelter_referrals@1
default_k: 3
count_measure: referral_count
dimensions:
  country: {column: country, kind: geo, level: country}
  service: {column: service, kind: category}
  age_band: {column: age_band, kind: category}
  year: {column: referred_on, sql: "strftime(referred_on, '%Y')", kind: time, level: year}
  month: {column: referred_on, sql: "strftime(referred_on, '%Y-%m')", kind: time, level: month}
measures:
  referral_count: {sql: "count(*)"}
  people_sum: {sql: "CAST(sum(people) AS BIGINT)"}
"""

GRANT = {
    "dataset": "shelter_referrals",
    "dims": ["country", "service", "age_band", "year", "month"],
    "grants": [
        {
            "id": "ngo-shelter-services",
            "sector": "ngo",
            "dims": ["country", "service", "year"],
            "min_k": 3,
            "row_filter": {},
            "geo_resolution": "country",
            "time_grain": "year",
            "min_contributors": 1,  # one contributing partner in this temporary hub
        }
    ],
}


@pytest.fixture
def fifth_dataset(tmp_path: Path) -> Settings:
    contracts = tmp_path / "contracts"
    views = tmp_path / "views"
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "contracts", contracts)
    shutil.copytree(REPO / "gateway" / "views" / "definitions", views)
    shutil.copytree(REPO / "policies", policies)
    (contracts / "shelter_referrals.yaml").write_text(CONTRACT)
    (views / "shelter_services.yaml").write_text(VIEW)
    grants_path = policies / "beacon" / "grants" / "data.json"
    grants = json.loads(grants_path.read_text("utf-8"))
    grants["views"]["shelter_services"] = GRANT
    grants["contributors"]["shelter_referrals"] = {"sectors": ["ngo"], "orgs": []}
    grants_path.write_text(json.dumps(grants, indent=2))
    s = Settings(data_dir=tmp_path / "var", contracts_dir=contracts, views_dir=views, log_json=True)
    s.database.url = SecretStr(f"sqlite:///{tmp_path / 'beacon.db'}")
    s.store.uri = str(tmp_path / "store")
    s.policy.policy_dir = policies
    s.privacy.release_min_orgs = 1  # one contributing partner in this temporary hub
    return s


@pytest.fixture
def accounts(fifth_dataset: Settings) -> dict[str, tuple[str, str]]:
    """The shelter NGO (uploads), a second NGO (queries: own rows never count towards k), and
    the hub's governance client (cuts releases)."""
    engine = build_engine(fifth_dataset)
    upgrade_schema(engine)
    with Session(engine) as session:
        create_org(session, slug="safe-harbour", name="Safe Harbour", sector="ngo")
        client, secret = create_client(
            session, org_slug="safe-harbour", roles=["uploader", "analyst"]
        )
        create_org(session, slug="street-outreach", name="Street Outreach", sector="ngo")
        reader, reader_secret = create_client(
            session, org_slug="street-outreach", roles=["analyst"]
        )
        create_org(session, slug="hub-ops", name="Hub operations", sector="government")
        governance, governance_secret = create_client(
            session, org_slug="hub-ops", roles=["governance"]
        )
        made = {
            "ngo": (client.client_id, secret),
            "reader": (reader.client_id, reader_secret),
            "governance": (governance.client_id, governance_secret),
        }
    engine.dispose()
    return made


@pytest.fixture
def shelter_ngo(accounts: dict[str, tuple[str, str]]) -> tuple[str, str]:
    return accounts["ngo"]


@pytest.fixture
def base_url(fifth_dataset: Settings, shelter_ngo: tuple[str, str]) -> Iterator[str]:
    with serve_in_thread(create_app(fifth_dataset)) as url:
        yield url


def _csv() -> bytes:
    lines = ["referral_id,referred_on,country,service,age_band,people,notes"]
    cells = [("TH", "shelter", 7), ("TH", "legal", 5), ("VN", "medical", 4), ("VN", "legal", 3)]
    n = 0
    for country, service, count in cells:
        for i in range(count):
            n += 1
            lines.append(f"ref-{n:06d},2025-0{1 + i % 3}-15,{country},{service},18-35,2,x")
    lines.append("bad,2025-01-15,ZZ,spa,18-35,0,")  # id, country, service, people all invalid
    return ("\n".join(lines) + "\n").encode()


def test_a_fifth_dataset_uploads_and_queries_end_to_end(
    base_url: str, accounts: dict[str, tuple[str, str]]
) -> None:
    shelter_ngo = accounts["ngo"]
    auth = bearer(base_url, *shelter_ngo)
    up = httpx.post(
        f"{base_url}/v1/datasets/shelter_referrals/batches",
        content=_csv(),
        headers={**auth, "Content-Type": "text/csv", "Idempotency-Key": str(uuid.uuid4())},
        timeout=60,
    )
    assert up.status_code == 201, up.text
    assert (up.json()["accepted"], up.json()["rejected"]) == (19, 1)

    cut_release(base_url, bearer(base_url, *accounts["governance"]), "shelter_referrals")
    reader = bearer(base_url, *accounts["reader"])
    listed = httpx.get(f"{base_url}/v1/views", headers=reader)
    assert "shelter_services" in {v["name"] for v in listed.json()["views"]}
    view = httpx.get(
        f"{base_url}/v1/views/shelter_services",
        params={"group_by": "country,service"},
        headers=reader,
    )
    assert view.status_code == 200, view.text
    body = view.json()
    cells = {
        (r["country"], r["service"]): (r["referral_count"], r["people_sum"]) for r in body["rows"]
    }
    truth = {
        ("TH", "shelter"): (7, 14),
        ("TH", "legal"): (5, 10),
        ("VN", "medical"): (4, 8),
        ("VN", "legal"): (3, 6),
    }
    assert set(cells) == set(truth)  # every cell rests on >= k = 3 reports of another org
    for cell, (count, people) in truth.items():
        assert abs(cells[cell][0] - count) <= 3  # cell-key noise on counts: at most D = 3
        assert abs(cells[cell][1] - people) <= 0.2 * people + 0.5  # on sums: < 20 %, rounded
    services = len(yaml.safe_load(CONTRACT)["columns"][3]["constraints"]["allowed"])
    assert (body["min_k"], body["cells_not_shown"]) == (3, 250 * services - 4)
    # The uploader's own rows never count for itself: it sees none of its cells.
    own = httpx.get(
        f"{base_url}/v1/views/shelter_services", params={"group_by": "country"}, headers=auth
    )
    assert own.status_code == 200 and own.json()["rows"] == []
    years = httpx.get(
        f"{base_url}/v1/views/shelter_services", params={"group_by": "year"}, headers=reader
    )
    ((year, count),) = [(r["year"], r["referral_count"]) for r in years.json()["rows"]]
    assert year == "2025" and abs(count - 19) <= 3

    # The grant stops at year and at three dimensions; the contract keeps notes out entirely.
    month = httpx.get(
        f"{base_url}/v1/views/shelter_services", params={"group_by": "month"}, headers=auth
    )
    assert month.status_code == 403
    assert "dimension_not_permitted:month" in month.json()["reasons"]
    notes = httpx.get(
        f"{base_url}/v1/views/shelter_services", params={"group_by": "notes"}, headers=auth
    )
    assert notes.status_code == 400
