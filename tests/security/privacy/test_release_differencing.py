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

import httpx
import pytest

from gateway.settings import Settings
from tests.security.privacy.attacker import VIEW, Live, stable_csv
from tests.security.privacy.conftest import start_live
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

QUERIES = (
    "",
    "?group_by=country",
    "?group_by=exploitation_type",
    "?group_by=country,exploitation_type",
    "?group_by=country,sector",
)


def answers(live: Live, as_of: str | None = None) -> dict[str, object]:
    """Every query's CSV data bytes and receipt claims (minus per-answer ids), and its release."""
    out = {}
    for q in QUERIES:
        sep = "&" if "?" in q else "?"
        suffix = f"{sep}format=csv" + (f"&as_of={as_of}" if as_of else "")
        r = httpx.get(live.url + VIEW + q + suffix, headers=live.auth["attacker-ngo"])
        assert r.status_code == 200, r.text
        out[q] = stable_csv(r.content)
        out[q + "#release"] = r.headers["x-beacon-release"].encode()
    return out


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    """The suite's live gateway, here on SQLite and PostgreSQL (embedded policy engine)."""
    settings.ingest.validator = "arrow"
    yield from start_live(settings)


def test_views_show_nothing_committed_after_the_last_release(live: Live) -> None:
    live.upload_generated("victim-ngo", 400, seed=1)
    live.upload_generated("other-ngo", 400, seed=2)
    r1 = live.cut()
    before = answers(live)
    assert {before[q + "#release"] for q in QUERIES} == {str(r1["id"]).encode()}

    # The victim uploads 9 records (below k) after R1: nothing any query says changes.
    live.upload_generated("victim-ngo", 9, seed=3)
    assert answers(live) == before
    # Governance cannot publish them alone: one organisation, 9 entities.
    refused = live.refused_cut()
    problem = assert_problem(refused, 409, "release-too-small")
    assert answers(live) == before
    # Still nothing after more of the same organisation's records.
    live.upload_generated("victim-ngo", 5, seed=4)
    assert answers(live) == before

    # Another partner contributes; R2 pools both organisations' new records, 10 of them
    # beyond the victim's 14 (what the largest contributor knows it sent never counts).
    live.upload_generated("other-ngo", 10, seed=5)
    r2 = live.cut()
    assert r2["previous_id"] == r1["id"] and r2["added_rows"] == 24 and r2["added_orgs"] == 2
    after = answers(live)
    assert after != before
    assert {after[q + "#release"] for q in QUERIES} == {str(r2["id"]).encode()}
    total = live.ask([])
    assert total.body["release"] == r2["id"]
    # 824 reports, released with the noise its answer declares
    assert 824 in total.consistent_counts(int(total.rows[0]["report_count"]))

    # Time travel moves between releases only: R1's answers, byte for byte.
    assert answers(live, as_of=str(r1["id"])) == before
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
    live.upload_generated("victim-ngo", 10, seed=1)
    live.upload_generated("other-ngo", 10, seed=2)
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
