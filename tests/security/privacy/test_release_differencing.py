"""Before/after differencing across commits (issue 7 #1), attacked over real HTTP.

An NGO analyst records every answer it may get, waits for another partner's upload, and asks
again: with views reading live tables, the difference rebuilt the uploaded records. Views now
read releases, so the attacker's answers stay byte-identical until governance cuts the next
release; a small upload cannot be released on its own (the cut is refused), and the release
that finally includes it pools another partner's records too. ``as_of`` moves between
releases only. Runs on SQLite and PostgreSQL with the embedded policy engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from sqlmodel import Session

from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.auth.service import create_client, create_org
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.e2e.helpers import bearer, cut_release
from tests.security.live import csv_bytes
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

VIEW = "/v1/views/incident_hotspots"
QUERIES = (
    "",
    "?group_by=country",
    "?group_by=exploitation_type",
    "?group_by=country,exploitation_type",
    "?group_by=country,sector",
)
ORGS = {  # slug → (sector, roles)
    "victim-ngo": ("ngo", ["uploader"]),
    "other-ngo": ("ngo", ["uploader"]),
    "attacker-ngo": ("ngo", ["analyst"]),
    "beacon-ops": ("public", ["governance"]),
}


@dataclass
class Live:
    url: str
    auth: dict[str, dict[str, str]]

    def upload(self, who: str, n: int, seed: int) -> None:
        r = httpx.post(
            f"{self.url}/v1/datasets/incident_reports/batches",
            content=csv_bytes(generate("incident_reports", n, seed=seed)),
            headers={
                **self.auth[who],
                "Content-Type": "text/csv",
                "Idempotency-Key": str(uuid.uuid4()),
            },
            timeout=60,
        )
        assert r.status_code == 201, r.text
        assert r.json()["accepted"] == n

    def answers(self, as_of: str | None = None) -> dict[str, bytes]:
        """Every query as CSV bytes (and the JSON rows + release, compared separately)."""
        out = {}
        for q in QUERIES:
            sep = "&" if "?" in q else "?"
            suffix = f"{sep}format=csv" + (f"&as_of={as_of}" if as_of else "")
            r = httpx.get(self.url + VIEW + q + suffix, headers=self.auth["attacker-ngo"])
            assert r.status_code == 200, r.text
            receipt, _, rows = r.content.partition(b"\n")  # the signed receipt line has its
            assert receipt.startswith(b"# beacon-receipt: ")  # own issue time: compare rows
            out[q] = rows
            out[q + "#release"] = r.headers["x-beacon-release"].encode()
        return out

    def cut(self) -> dict[str, object]:
        return cut_release(self.url, self.auth["beacon-ops"], "incident_reports")

    def refused_cut(self) -> httpx.Response:
        return httpx.post(
            f"{self.url}/v1/admin/releases",
            json={"dataset": "incident_reports"},
            headers=self.auth["beacon-ops"],
        )


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    settings.ingest.validator = "arrow"
    engine = build_engine(settings)
    upgrade_schema(engine)
    secrets: dict[str, tuple[str, str]] = {}
    with Session(engine) as session:
        for slug, (sector, roles) in ORGS.items():
            create_org(session, slug=slug, name=slug.title(), sector=sector)
            client, secret = create_client(session, org_slug=slug, roles=roles)
            secrets[slug] = (client.client_id, secret)
    engine.dispose()
    with serve_in_thread(create_app(settings)) as url:
        yield Live(url, {slug: bearer(url, *cred) for slug, cred in secrets.items()})


def test_views_show_nothing_committed_after_the_last_release(live: Live) -> None:
    live.upload("victim-ngo", 400, seed=1)
    live.upload("other-ngo", 400, seed=2)
    r1 = live.cut()
    before = live.answers()
    assert {before[q + "#release"] for q in QUERIES} == {str(r1["id"]).encode()}

    # The victim uploads 9 records (below k) after R1: nothing any query says changes.
    live.upload("victim-ngo", 9, seed=3)
    assert live.answers() == before
    # Governance cannot publish them alone: one organisation, 9 entities.
    refused = live.refused_cut()
    problem = assert_problem(refused, 409, "release-too-small")
    assert live.answers() == before
    # Still nothing after more of the same organisation's records.
    live.upload("victim-ngo", 5, seed=4)
    assert live.answers() == before

    # Another partner contributes; R2 pools both organisations' new records.
    live.upload("other-ngo", 6, seed=5)
    r2 = live.cut()
    assert r2["previous_id"] == r1["id"] and r2["added_rows"] == 20 and r2["added_orgs"] == 2
    after = live.answers()
    assert after != before
    assert {after[q + "#release"] for q in QUERIES} == {str(r2["id"]).encode()}
    total = httpx.get(live.url + VIEW, headers=live.auth["attacker-ngo"]).json()
    assert total["release"] == r2["id"]
    assert abs(total["rows"][0]["report_count"] - 820) <= 3  # cell-key noise: at most 3

    # Time travel moves between releases only: R1's answers, byte for byte.
    assert live.answers(as_of=str(r1["id"])) == before
    refused_id = str(problem["release_id"])
    for bad, status, kind in (
        ("7", 422, "validation"),  # a Delta version is not a release id
        ("not-a-release", 422, "validation"),
        (str(uuid.uuid4()), 404, "unknown-release"),
        (refused_id, 404, "unknown-release"),  # a refused cut was never published
    ):
        r = httpx.get(
            f"{live.url}{VIEW}?group_by=country&as_of={bad}", headers=live.auth["attacker-ngo"]
        )
        body = assert_problem(r, status, kind)
        assert "rows" not in body


def test_release_listings_by_role(live: Live) -> None:
    unreleased = httpx.get(live.url + VIEW, headers=live.auth["attacker-ngo"])
    assert_problem(unreleased, 409, "no-release")
    live.upload("victim-ngo", 10, seed=1)
    live.upload("other-ngo", 10, seed=2)
    r1 = live.cut()
    public = httpx.get(f"{live.url}/v1/releases", headers=live.auth["attacker-ngo"])
    assert public.status_code == 200
    assert public.json()["releases"] == [
        {"id": r1["id"], "dataset": "incident_reports", "cut_at": r1["cut_at"], "previous_id": None}
    ]
    other = httpx.get(
        f"{live.url}/v1/releases?dataset=financial_indicators", headers=live.auth["attacker-ngo"]
    )
    assert other.json()["releases"] == []
    admin = httpx.get(f"{live.url}/v1/admin/releases", headers=live.auth["beacon-ops"])
    assert [(x["row_count"], x["org_count"], x["status"]) for x in admin.json()["releases"]] == [
        (20, 2, "published")
    ]
    for who in ("attacker-ngo", "victim-ngo"):
        denied = httpx.post(
            f"{live.url}/v1/admin/releases",
            json={"dataset": "incident_reports"},
            headers=live.auth[who],
        )
        assert_problem(denied, 403, "insufficient-scope")
    unknown = httpx.post(
        f"{live.url}/v1/admin/releases", json={"dataset": "nope"}, headers=live.auth["beacon-ops"]
    )
    assert unknown.status_code == 404
