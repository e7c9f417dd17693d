"""GET /v1/views and /v1/views/{view}: real embedded policy, real Delta store, synthetic data."""

from __future__ import annotations

import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pytest

from connectors.synthetic.synth import generate
from gateway.policy.errors import PolicyUnavailableError
from gateway.store.delta import DeltaStore
from tests.views.conftest import TestClient, ViewsApp, as_, publish


@pytest.fixture
def loaded(views_app: ViewsApp) -> DeltaStore:
    publish(views_app, "incident_reports", generate("incident_reports", 3000, seed=7))
    store: DeltaStore = views_app.store
    return store


# --- deny cases first ---------------------------------------------------------------------


def test_anonymous_and_uploader_only_are_refused(client: TestClient) -> None:
    assert client.get("/v1/views").status_code == 401
    response = client.get("/v1/views/incident_hotspots", headers=as_("uploader"))
    assert response.status_code == 403


def test_view_without_grant_is_403_with_reason_and_audited(
    client: TestClient, views_app: ViewsApp, loaded: DeltaStore
) -> None:
    response = client.get("/v1/views/open_source_coverage", headers=as_("bank"))
    assert response.status_code == 403
    body = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["reasons"] == ["no_grant_for_view"]
    assert "rows" not in body
    (event,) = views_app.events("view.query")
    assert event.outcome == "deny"
    assert event.detail["reasons"] == ["no_grant_for_view"]
    decision = event.detail["decision"]
    assert decision["reasons"] == ["no_grant_for_view"] and decision["backend"] == "embedded"
    assert len(decision["policy_revision"]) == 64 and decision["decision_id"]


@pytest.mark.parametrize(
    ("who", "query", "reason"),
    [
        ("business", "group_by=admin1", "dimension_not_permitted:admin1"),
        ("ngo", "group_by=h3_cell", "dimension_not_permitted:h3_cell"),
        ("bank", "group_by=country&filter[month]=2023-01", "filter_not_permitted:month"),
    ],
)
def test_non_permitted_dimension_or_filter_is_403(
    client: TestClient, loaded: DeltaStore, who: str, query: str, reason: str
) -> None:
    response = client.get(f"/v1/views/incident_hotspots?{query}", headers=as_(who))
    assert response.status_code == 403
    assert reason in response.json()["reasons"]


@pytest.mark.parametrize(
    "query",
    ["group_by=report_id", "group_by=narrative", "group_by=victim_count",
     "filter[report_id]=ir-1", "group_by=country&raw=1", "group_by=country;drop"],
)  # fmt: skip
def test_raw_data_and_identifiers_are_impossible(
    client: TestClient, loaded: DeltaStore, query: str
) -> None:
    response = client.get(f"/v1/views/incident_hotspots?{query}", headers=as_("nra"))
    assert response.status_code == 400
    assert "rows" not in response.json()


def test_unknown_view_is_404(client: TestClient) -> None:
    assert client.get("/v1/views/incident_reports", headers=as_("ngo")).status_code == 404


class _BrokenPolicy:
    name = "broken"

    def decide(self, path: str, input: Any, *, draft: Any = None) -> Any:
        raise PolicyUnavailableError("policy engine timed out")


def test_policy_engine_failure_fails_closed(
    client: TestClient, views_app: ViewsApp, loaded: DeltaStore
) -> None:
    views_app.use(policy=_BrokenPolicy())
    for path in ("/v1/views", "/v1/views/incident_hotspots?group_by=country"):
        response = client.get(path, headers=as_("ngo"))
        assert response.status_code == 503
        assert "rows" not in response.json() and "views" not in response.json()
    # The engine being down is still on the trail: one error event per request.
    asked = [(e.kind, e.outcome) for e in views_app.events() if e.kind.startswith("view.")]
    assert asked == [("view.list", "error"), ("view.query", "error")]


class _BrokenStore:
    def dataset(self, name: str, *, version: int | None = None) -> Any:
        raise OSError("bucket unreachable")


def test_allowed_query_that_fails_is_audited_once(
    client: TestClient, views_app: ViewsApp, policy: Any, loaded: DeltaStore
) -> None:
    views_app.use(policy=policy, store=_BrokenStore())
    with pytest.raises(OSError, match="bucket unreachable"):
        client.get("/v1/views/incident_hotspots?group_by=country", headers=as_("ngo"))
    (event,) = views_app.events("view.query")  # the release cut before it has its own kind
    assert (event.kind, event.outcome) == ("view.query", "error")
    assert event.detail["decision"]["allow"] is True  # the decision's facts are kept


# --- allowed ------------------------------------------------------------------------------


def test_list_shows_only_permitted_views_and_dims(client: TestClient, views_app: ViewsApp) -> None:
    body = client.get("/v1/views", headers=as_("bank")).json()
    (event,) = views_app.events()  # ONE event for the request, not one per view
    assert (event.kind, event.outcome) == ("view.list", "allow")
    assert sorted(event.detail["listed"]) == ["financial_typologies", "incident_hotspots"]
    assert event.detail["considered"] == len(event.detail["decisions"]) == 4
    names = {v["name"] for v in body["views"]}
    assert names == {"incident_hotspots", "financial_typologies"}
    hotspots = next(v for v in body["views"] if v["name"] == "incident_hotspots")
    assert {d["name"] for d in hotspots["dimensions"]} == {
        "country", "exploitation_type", "sector", "year",
    }  # fmt: skip
    assert hotspots["min_k"] == 20


def test_json_aggregate_suppresses_small_cells(
    client: TestClient, views_app: ViewsApp, loaded: DeltaStore
) -> None:
    response = client.get(
        "/v1/views/incident_hotspots?group_by=country,exploitation_type&filter[year]=2023",
        headers=as_("ngo"),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["min_k"] == 10 and body["group_by"] == ["country", "exploitation_type"]
    assert body["mode"] == "cellkey" and body["min_contributors"] == 2
    assert "suppressed_cells" not in body
    # 250 public countries x 8 exploitation types, minus the released rows
    assert body["rows"] and body["cells_not_shown"] == 250 * 8 - len(body["rows"])
    # released cells rest on >= 10 others' reports; the cell-key noise moves them by <= 3
    assert all(r["report_count"] >= 10 - 3 for r in body["rows"])
    assert body["receipt"]["claims"]["k"] == 10 and body["receipt"]["jws"].count(".") == 2
    assert set(body["rows"][0]) == {"country", "exploitation_type", "report_count", "victim_sum"}
    cut, event = views_app.events()  # one event per request, the feature's own
    assert cut.kind == "release.cut"
    assert event.kind == "view.query" and event.outcome == "allow"
    assert event.detail["rows"] == len(body["rows"])
    assert event.detail["k"] == 10 and event.detail["filters"] == ["year"]
    assert event.detail["decision"]["allow"] is True
    assert event.detail["decision"]["obligations"]["min_k"] == 10
    assert "NG" not in json.dumps(event.detail)  # counts and names only, never values
    assert "2023" not in json.dumps(event.detail)  # filter names, never filter values


def test_csv_and_arrow_carry_the_same_rows(client: TestClient, loaded: DeltaStore) -> None:
    url = "/v1/views/incident_hotspots?group_by=country,year"
    as_json = client.get(url, headers=as_("ngo")).json()["rows"]
    csv = client.get(url + "&format=csv", headers=as_("ngo"))
    assert csv.headers["content-type"].startswith("text/csv")
    assert int(csv.headers["x-beacon-min-k"]) == 10
    assert "x-beacon-suppressed-cells" not in csv.headers
    receipt_line, _, body = csv.content.partition(b"\n")
    assert receipt_line.startswith(b"# beacon-receipt: ")
    table = pacsv.read_csv(
        io.BytesIO(body),
        convert_options=pacsv.ConvertOptions(
            column_types={"country": pa.string(), "year": pa.string()}
        ),
    )
    assert table.to_pylist() == as_json
    arrow = client.get(url + "&format=arrow", headers=as_("ngo"))
    assert arrow.headers["content-type"] == "application/vnd.apache.arrow.stream"
    reader = ipc.open_stream(arrow.content)
    assert reader.read_all().to_pylist() == as_json
    assert json.loads(reader.schema.metadata[b"beacon.min_k"]) == 10


def test_every_format_names_the_release_it_answers_from(
    client: TestClient, views_app: ViewsApp
) -> None:
    first = publish(views_app, "incident_reports", generate("incident_reports", 400, seed=7))
    url = "/v1/views/incident_hotspots?group_by=country"
    assert client.get(url, headers=as_("ngo")).json()["release"] == first.id
    second = publish(views_app, "incident_reports", generate("incident_reports", 400, seed=8), "b2")
    assert second.previous_id == first.id
    body = client.get(url, headers=as_("ngo")).json()
    assert body["release"] == second.id
    csv = client.get(url + "&format=csv", headers=as_("ngo"))
    assert csv.headers["x-beacon-release"] == second.id
    arrow = client.get(url + "&format=arrow", headers=as_("ngo"))
    assert json.loads(ipc.open_stream(arrow.content).schema.metadata[b"beacon.release"]) == (
        second.id
    )
    old = client.get(f"{url}&as_of={first.id}", headers=as_("ngo")).json()
    assert old["release"] == first.id
    assert sum(r["report_count"] for r in old["rows"]) < sum(
        r["report_count"] for r in body["rows"]
    )
    assert views_app.events("view.query")[-1].detail["release"] == first.id


def test_dataset_without_a_release_is_409_no_release(client: TestClient) -> None:
    # Views read releases only; an empty (or never released) dataset has none.
    response = client.get("/v1/views/financial_typologies?group_by=country", headers=as_("bank"))
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"].endswith("/no-release")
    assert "rows" not in response.json()


def test_grand_total_and_time_dims(client: TestClient, loaded: DeltaStore) -> None:
    first = client.get("/v1/views/incident_hotspots", headers=as_("ngo")).json()
    total = first["rows"]
    assert len(total) == 1 and abs(total[0]["report_count"] - 3000) <= 3  # bounded noise
    assert first["cells_not_shown"] is None  # a single cell: nothing said about hiding
    again = client.get("/v1/views/incident_hotspots", headers=as_("ngo")).json()["rows"]
    assert again == total  # the same records, the same noise
    rows = client.get("/v1/views/incident_hotspots?group_by=quarter", headers=as_("ngo")).json()[
        "rows"
    ]
    quarters = [r["quarter"] for r in rows if r["quarter"] is not None]
    assert quarters and all(len(q) == 7 and "-Q" in q for q in quarters)
