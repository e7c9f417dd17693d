"""The README's demo command: partners created, data pushed through the connector, views answer."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from gateway.app import create_app
from gateway.cli.demo import DEMO_PARTNERS, demo_settings, run_demo
from gateway.serving import free_port, serve_in_thread
from tests.e2e.helpers import bearer

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_demo_seeds_through_the_connector_and_serves_views(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "demo"
    assert run_demo(port=port, data_dir=data_dir, scale=0.05, keep=False, exit_after_seed=True) == 0

    creds = json.loads((data_dir / "credentials.json").read_text())
    assert set(creds) == {p.slug for p in DEMO_PARTNERS}
    assert (data_dir / "credentials.json").stat().st_mode & 0o077 == 0

    # Restart on the kept state (as `beacon demo --keep` does) and query as an NGO and a bank.
    with serve_in_thread(create_app(demo_settings(data_dir, port))) as base:
        ngo, bank = creds["safe-harbour"], creds["northbank"]
        auth = bearer(base, ngo["client_id"], ngo["client_secret"])
        listed = httpx.get(f"{base}/v1/views", headers=auth).json()["views"]
        assert {"incident_hotspots", "open_source_coverage"} <= {v["name"] for v in listed}
        r = httpx.get(
            f"{base}/v1/views/incident_hotspots",
            params={"group_by": "exploitation_type"},
            headers=auth,
        )
        assert r.status_code == 200, r.text
        body = r.json()
        # The demo cut one release per dataset after seeding; views answer from the latest.
        releases = httpx.get(f"{base}/v1/releases", headers=auth).json()["releases"]
        assert sorted(x["dataset"] for x in releases) == sorted(
            {ds for p in DEMO_PARTNERS for ds, _ in p.uploads}
        )
        assert body["release"] in {x["id"] for x in releases if x["dataset"] == "incident_reports"}
        # Three partners pushed incident reports (minus quarantined rows) at 5 % scale.
        pushed = sum(
            int(rows * 0.05)
            for p in DEMO_PARTNERS
            for ds, rows in p.uploads
            if ds == "incident_reports"
        )
        # Counts carry cell-key noise of at most 3 per released cell.
        published = sum(row["report_count"] for row in body["rows"])
        noise = 3 * len(body["rows"])
        assert 0.95 * pushed - noise <= published <= pushed + noise
        assert all(row["report_count"] >= body["min_k"] - 3 for row in body["rows"])
        assert body["mode"] == "cellkey" and body["receipt"]["claims"]["p"] == 2

        denied = httpx.get(
            f"{base}/v1/views/incident_hotspots",
            params={"group_by": "admin1"},
            headers=bearer(base, bank["client_id"], bank["client_secret"]),
        )
        assert denied.status_code == 403
