"""The public channel over real HTTP: held queue, release into views, bad input, rate limit.

Defends against public reports reaching partners unreviewed, floods, and oversized or empty
submissions leaving anything behind (both databases; the counter is shared by replicas).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pyarrow.compute as pc
import pytest

from gateway.app import create_app
from gateway.privacy.cellkey import default_table
from gateway.serving import serve_in_thread
from gateway.settings import Settings
from tests.e2e.helpers import cut_release
from tests.public.live import Live, live_gateway, public_report_count

pytestmark = pytest.mark.integration

REPORT = {
    "country": "TH",
    "region": "TH-10",
    "exploitation_type": "labour",
    "sector": "fishing",
    "victim_count": 3,
    "occurred_month": "2026-10",
    "narrative": "Men on a boat at the pier are not allowed to leave. Call me on +66 81 234 5678.",
}


@pytest.fixture
def live(settings: Settings) -> Iterator[Live]:
    settings.public.rate_limit = 40
    settings.public.rate_window_seconds = 600
    with live_gateway(settings) as gateway:
        yield gateway


def _source_counts(live: Live, release_id: str) -> dict[str, int]:
    r = httpx.get(
        f"{live.url}/v1/views/incident_hotspots",
        params={"group_by": "source_type"},
        headers=live.tokens["safe-harbour"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["release"] == release_id
    return {row["source_type"]: row["report_count"] for row in r.json()["rows"]}


def _total(live: Live, release_id: str) -> int | None:
    """The grand total (one cell-key-perturbed cell) for the safe-harbour analyst, if shown."""
    r = httpx.get(
        f"{live.url}/v1/views/incident_hotspots",
        params={"as_of": release_id},
        headers=live.tokens["safe-harbour"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["release"] == release_id
    rows = r.json()["rows"]
    return int(rows[0]["report_count"]) if rows else None


def test_reports_reach_views_only_after_release_and_a_cut(live: Live) -> None:
    live.upload("safe-harbour", 20, seed=1)
    live.upload("open-door", 20, seed=2)
    with live.client() as http:
        for _ in range(10):
            r = http.post("/v1/public/reports", json=REPORT)
            assert r.status_code == 201, r.text
            assert r.json() == {"status": "received", "reference": None}
    held = live.held()
    assert len(held) == 10 and {h["status"] for h in held} == {"held"}
    first = held[0]
    assert first["admin1"] == "TH-10" and first["source_type"] == "public_report"
    assert "+66 81 234 5678" not in str(first["narrative"])
    ops = live.tokens["beacon-ops"]
    before = cut_release(live.url, ops, "incident_reports")
    assert "public_report" not in _source_counts(live, str(before["id"]))
    assert pc.sum(pc.equal(live.live_rows()["source_type"], "public_report")).as_py() in (0, None)

    for report in held:
        r = httpx.post(f"{live.url}/v1/admin/public-reports/{report['id']}/release", headers=ops)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "released" and r.json()["batch_id"]
    assert live.held() == []
    rows = live.live_rows()
    public = rows.filter(pc.equal(rows["source_type"], "public_report"))
    assert public.num_rows == 10
    assert set(public["_org"].to_pylist()) == {"public-reports"}
    assert set(public["report_id"].to_pylist()) == {h["id"] for h in held}
    assert set(public["h3_cell"].to_pylist()) == {None}  # never finer than admin1
    # Released but not yet in a release: views still answer from the previous cut.
    assert "public_report" not in _source_counts(live, str(before["id"]))

    live.upload("safe-harbour", 20, seed=3)  # a cut pools batches of several organisations
    after = cut_release(live.url, ops, "incident_reports")
    # Before: 40 rows, but only open-door's 20 are another organisation's (P = 2): hidden.
    assert _total(live, str(before["id"])) is None
    # After: the released public reports are a second other organisation, so the total shows:
    # 40 + 10 public reports + 20 more of safe-harbour's, within the published noise bound...
    after_total = _total(live, str(after["id"]))
    assert after_total is not None and abs(after_total - 70) <= default_table().max_noise
    # ...but never as a cell of their own: it rests on one organisation (P = 2).
    assert "public_report" not in _source_counts(live, str(after["id"]))


def test_empty_and_huge_submissions_are_refused_and_nothing_is_stored(live: Live) -> None:
    with live.client() as http:
        empty_json = http.post("/v1/public/reports", json={})
        assert empty_json.status_code == 400
        assert empty_json.headers["content-type"].startswith("application/problem+json")
        assert empty_json.json()["fields"] == {
            "country": "country_required",
            "narrative": "narrative_required",
        }
        not_object = http.post("/v1/public/reports", content=b"[1, 2]")
        assert not_object.status_code == 400
        finer = http.post("/v1/public/reports", json={**REPORT, "h3_cell": "871fb4662ffffff"})
        assert finer.status_code == 400 and finer.json()["fields"] == {"h3_cell": "unknown_field"}

        huge = "x" * 1_000_000
        big_json = http.post("/v1/public/reports", json={**REPORT, "narrative": huge})
        assert big_json.status_code == 413
        assert big_json.json()["type"].endswith("/public-report-too-large")
        big_form = http.post("/report", data={**REPORT, "narrative": huge})
        assert big_form.status_code == 413
        assert 'class="error-summary"' in big_form.text and "too long" in big_form.text

        empty_form = http.post("/report", data={})
        assert empty_form.status_code == 400
        assert 'href="#country"' in empty_form.text and 'href="#narrative"' in empty_form.text
        long_text = http.post("/report", data={**REPORT, "narrative": "y" * 5000})
        assert long_text.status_code == 400 and "4000 characters" in long_text.text
    assert public_report_count(live.settings) == 0


def test_a_flood_from_one_network_is_limited_across_replicas(live: Live) -> None:
    """Two app instances on one DB: the bucket's budget is shared; another network is not hit."""
    limit = live.settings.public.rate_limit
    with serve_in_thread(create_app(live.settings)) as second_url:
        replicas = [live.url, second_url]
        statuses: list[int] = []
        transport = httpx.HTTPTransport(local_address="127.77.0.1")
        with httpx.Client(transport=transport, timeout=30) as http:
            for n in range(2 * limit + 2):  # a window may end mid-way: then a second budget
                r = http.post(f"{replicas[n % 2]}/v1/public/reports", json={})
                statuses.append(r.status_code)
                if r.status_code == 429:
                    break
            assert r.status_code == 429, statuses
            assert 1 <= int(r.headers["Retry-After"]) <= live.settings.public.rate_window_seconds
            assert r.headers["content-type"].startswith("application/problem+json")
            assert statuses.count(400) >= limit
            valid = http.post(f"{second_url}/v1/public/reports", json=REPORT)
            assert valid.status_code == 429
            page = http.post(f"{live.url}/report", data=REPORT)
            assert page.status_code == 429 and "Retry-After" in page.headers
            assert "Too many reports" in page.text
    assert public_report_count(live.settings) == 0
    with live.client("127.78.0.1") as other_network:  # another /16: its own budget
        assert other_network.post("/v1/public/reports", json=REPORT).status_code == 201
    assert public_report_count(live.settings) == 1


def test_only_governance_decides_and_discard_erases_the_content(live: Live) -> None:
    with live.client() as http:
        r = http.post("/v1/public/reports", json={**REPORT, "want_reference": True})
    assert r.status_code == 201
    report_id = r.json()["reference"]
    assert isinstance(report_id, str) and len(report_id) >= 20
    path = f"{live.url}/v1/admin/public-reports/{report_id}"
    assert httpx.get(f"{live.url}/v1/admin/public-reports").status_code == 401
    analyst = live.tokens["safe-harbour"]
    assert httpx.get(f"{live.url}/v1/admin/public-reports", headers=analyst).status_code == 403
    assert httpx.post(f"{path}/release", headers=analyst).status_code == 403
    ops = live.tokens["beacon-ops"]
    unknown = httpx.post(f"{live.url}/v1/admin/public-reports/nope/discard", headers=ops)
    assert unknown.status_code == 404
    gone = httpx.post(f"{path}/discard", headers=ops)
    assert gone.status_code == 200, gone.text
    assert gone.json()["status"] == "discarded" and gone.json()["narrative"] is None
    again = httpx.post(f"{path}/release", headers=ops)
    assert again.status_code == 409
    assert live.held() == []
    events = httpx.get(f"{live.url}/v1/audit/events", headers=ops)
    assert events.status_code == 200, events.text
    kinds = [e["kind"] for e in events.json()["items"]]
    assert "public_report.submit" in kinds and "public_report.decide" in kinds
