"""An analyst tries to recover a known small cell (2 reports, NG x fishing) over real HTTP.

Suppression mode (exact values): the governance grant on incident_hotspots keeps
``mode: suppression`` with k = 10 and P = 2. The attacker's queries: the country totals minus
the visible country x sector cells (differencing), the same through filters (tracker), and
breakdowns of the neighbouring cells (finer queries). Cell-key mode has its own tests
(``test_cellkey_answers``).
"""

from __future__ import annotations

import pyarrow as pa
import pytest

from connectors.synthetic.synth import generate
from gateway.store.delta import DeltaStore
from tests.views.conftest import TestClient, ViewsApp, as_, publish

K = 10
CELLS = {
    ("NG", "fishing"): 2,
    ("NG", "construction"): 30, ("NG", "agriculture"): 100, ("NG", "hospitality"): 45,
    ("GH", "fishing"): 40, ("GH", "construction"): 50, ("GH", "agriculture"): 60,
    ("GH", "hospitality"): 35, ("KE", "fishing"): 70, ("KE", "construction"): 80,
    ("KE", "agriculture"): 90, ("KE", "hospitality"): 25,
}  # fmt: skip
SECRET = CELLS[("NG", "fishing")]
URL = "/v1/views/incident_hotspots"


@pytest.fixture
def planted(views_app: ViewsApp) -> DeltaStore:
    n = sum(CELLS.values())
    base = generate("incident_reports", n, seed=3)
    countries = [c for (c, _), v in CELLS.items() for _ in range(v)]
    sectors = [s for (_, s), v in CELLS.items() for _ in range(v)]
    table = base.set_column(base.schema.get_field_index("country"), "country", pa.array(countries))
    table = table.set_column(table.schema.get_field_index("sector"), "sector", pa.array(sectors))
    publish(views_app, "incident_reports", table)
    store: DeltaStore = views_app.store
    return store


def _rows(client: TestClient, query: str) -> list[dict[str, object]]:
    response = client.get(f"{URL}?{query}", headers=as_("ops"))
    assert response.status_code == 200, response.text
    assert response.json()["min_k"] == K
    assert response.json()["mode"] == "suppression"
    rows: list[dict[str, object]] = response.json()["rows"]
    return rows


def _count(rows: list[dict[str, object]], **match: str) -> int | None:
    hits = [r for r in rows if all(r.get(k) == v for k, v in match.items())]
    return int(hits[0]["report_count"]) if hits else None  # type: ignore[call-overload]


def test_small_cell_never_appears(client: TestClient, planted: DeltaStore) -> None:
    rows = _rows(client, "group_by=country,sector")
    assert _count(rows, country="NG", sector="fishing") is None
    assert all(int(r["report_count"]) >= K for r in rows)  # type: ignore[call-overload]
    for query in (
        "group_by=sector&filter[country]=NG",
        "filter[country]=NG&filter[sector]=fishing",
    ):
        assert all(r["report_count"] != SECRET for r in _rows(client, query))


def test_total_minus_visible_cells_does_not_reveal_the_small_cell(
    client: TestClient, planted: DeltaStore
) -> None:
    ng_total = _count(_rows(client, "group_by=country"), country="NG")
    fine = _rows(client, "group_by=country,sector")
    assert ng_total == sum(v for (c, _), v in CELLS.items() if c == "NG")
    difference = ng_total - sum(
        int(r["report_count"])
        for r in fine
        if r["country"] == "NG"  # type: ignore[call-overload]
    )
    assert difference != SECRET and difference >= K
    # ... nor does the sector margin: fishing total minus visible fishing cells
    fishing = _count(_rows(client, "group_by=sector"), sector="fishing")
    assert fishing is not None
    rest = fishing - sum(
        int(r["report_count"])
        for r in fine
        if r["sector"] == "fishing"  # type: ignore[call-overload]
    )
    assert rest != SECRET and rest >= K
    # ... nor a combination: every hidden NG cell still has an unknown partner
    hidden_ng = [
        s for (c, s) in CELLS if c == "NG" and _count(fine, country="NG", sector=s) is None
    ]
    assert len(hidden_ng) >= 2


def test_tracker_through_filters_does_not_reveal_the_small_cell(
    client: TestClient, planted: DeltaStore
) -> None:
    both = _count(
        _rows(client, "group_by=country&filter[sector]=fishing,construction"), country="NG"
    )
    one = _count(_rows(client, "group_by=country&filter[sector]=construction"), country="NG")
    if both is not None and one is not None:
        assert both - one != SECRET and both - one >= K
    everything_but = ",".join(s for (c, s) in CELLS if c == "NG" and s != "fishing")
    ng_total = _count(_rows(client, "group_by=country"), country="NG")
    rest = _count(_rows(client, f"group_by=country&filter[sector]={everything_but}"), country="NG")
    assert ng_total is not None
    assert rest is None or ng_total - rest != SECRET


def test_finer_breakdowns_do_not_republish_hidden_neighbours(
    client: TestClient, planted: DeltaStore
) -> None:
    coarse = _rows(client, "group_by=country,sector")
    hidden = {(c, s) for (c, s) in CELLS if _count(coarse, country=c, sector=s) is None}
    finer = _rows(client, "group_by=country,sector,gender")
    for country, sector in hidden:
        assert not [r for r in finer if (r["country"], r["sector"]) == (country, sector)]
