"""Cell-key answers over real HTTP: own rows never help, P organisations, dominance, hiding
that says nothing, wording-independence, the query-variety allowance and signed receipts.

The caller is the NGO analyst ``ngo-a`` (grant: k = 10, P = 2, mode cellkey); other
partners' records are committed as ``partner-x`` / ``partner-y`` and then released.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc
import pytest
from sqlmodel import Session, select
from typer.testing import CliRunner

from connectors.synthetic.synth import generate
from gateway.cli import app as beacon_cli
from gateway.views.models import QueryScope
from tests.views.conftest import JWKS, TestClient, ViewsApp, append, as_, cut_release

URL = "/v1/views/incident_hotspots"
D = 3  # the perturbation table's largest count noise

# (country, admin1, exploitation_type, org, victims per record, records)
BASE = [
    ("GH", "GH-AA", "labour", "partner-x", 2, 40),
    ("GH", "GH-AA", "labour", "partner-y", 2, 40),
    ("GH", "GH-AA", "sexual", "partner-x", 1, 30),
    ("GH", "GH-AA", "sexual", "partner-y", 1, 30),
    ("GH", "GH-AH", "labour", "partner-x", 1, 25),
    ("GH", "GH-AH", "labour", "partner-y", 1, 25),
    ("NG", "NG-LA", "labour", "partner-x", 3, 30),
    ("NG", "NG-LA", "labour", "partner-y", 3, 30),
    ("NG", "NG-LA", "organ_removal", "partner-x", 1, 5),  # planted: 9 records, hidden
    ("NG", "NG-LA", "organ_removal", "partner-y", 1, 4),
    ("KE", "KE-30", "domestic_servitude", "partner-x", 1, 60),  # one organisation only
    ("KE", "KE-30", "sexual", "partner-x", 1, 9),  # dominated: 9 x 1 + one of 450 below
    ("KE", "KE-30", "sexual", "partner-y", 1, 10),
]
DOMINANT = ("KE", "KE-30", "sexual", "partner-y", 450, 1)


def _records(spec: list[tuple[str, str, str, str, int, int]], seed: int) -> dict[str, pa.Table]:
    """Synthetic rows with the planted columns, grouped by uploading organisation."""
    n = sum(s[-1] for s in spec)
    base = generate("incident_reports", n, seed=seed)
    cols = {"country": [], "admin1": [], "exploitation_type": [], "victim_count": []}
    orgs: list[str] = []
    for country, admin1, kind, org, victims, count in spec:
        for _ in range(count):
            cols["country"].append(country)
            cols["admin1"].append(admin1)
            cols["exploitation_type"].append(kind)
            cols["victim_count"].append(victims)
            orgs.append(org)
    table = base
    for name, values in cols.items():
        i = table.schema.get_field_index(name)
        table = table.set_column(
            i, table.schema.field(i), pa.array(values, table.schema.field(i).type)
        )
    org_column = pa.array(orgs)
    return {org: table.filter(pc.equal(org_column, org)) for org in dict.fromkeys(orgs)}


def _load(views_app: ViewsApp, spec: list[Any], seed: int = 11, batch: str = "p") -> str:
    for i, (org, table) in enumerate(_records(spec, seed).items()):
        append(views_app.store, "incident_reports", table, f"{batch}{i}", org)
    return cut_release(views_app, "incident_reports").id


@pytest.fixture
def planted(views_app: ViewsApp) -> str:
    return _load(views_app, [*BASE, DOMINANT])


def _get(client: TestClient, query: str, who: str = "ngo") -> dict[str, Any]:
    response = client.get(f"{URL}?{query}", headers=as_(who))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert (body["mode"], body["min_k"], body["min_contributors"]) == ("cellkey", 10, 2)
    return body


def _cell(body: dict[str, Any], **match: str) -> dict[str, Any] | None:
    hits = [r for r in body["rows"] if all(r.get(k) == v for k, v in match.items())]
    return hits[0] if hits else None


# --- release rules ---------------------------------------------------------------------------


def test_counts_are_noisy_within_bounds_and_small_cells_hidden(
    client: TestClient, planted: str
) -> None:
    body = _get(client, "group_by=country,exploitation_type")
    labour = _cell(body, country="GH", exploitation_type="labour")
    assert labour is not None and abs(labour["report_count"] - 130) <= D
    assert _cell(body, country="NG", exploitation_type="organ_removal") is None  # 9 < k
    assert "suppressed_cells" not in body and body["cells_not_shown"] == 250 * 8 - len(body["rows"])


def test_a_cell_of_one_organisation_is_not_released(client: TestClient, planted: str) -> None:
    body = _get(client, "group_by=country,exploitation_type")
    # 60 records, but all from partner-x: P = 2 other organisations are needed
    assert _cell(body, country="KE", exploitation_type="domestic_servitude") is None


def test_own_rows_never_help_a_cell_pass(views_app: ViewsApp, client: TestClient) -> None:
    _load(views_app, BASE)
    query = "group_by=exploitation_type&filter[country]=NG"
    before = _get(client, query)
    assert _cell(before, exploitation_type="organ_removal") is None
    # The attacker pads the hidden 9-record cell with its own uploads, far past k.
    padding = [  # (a release needs 2+ organisations' new records: another partner adds some)
        ("NG", "NG-LA", "organ_removal", "ngo-a", 1, 25),
        ("GH", "GH-AA", "labour", "partner-z", 1, 10),
    ]
    _load(views_app, padding, seed=12, batch="pad")
    after = _get(client, query)
    assert _cell(after, exploitation_type="organ_removal") is None
    assert after["cells_not_shown"] == before["cells_not_shown"]
    # ... while another partner, for whom the padding is someone else's, may see it.
    other = client.get(f"{URL}?{query}", headers=as_("nra")).json()
    assert _cell(other, exploitation_type="organ_removal") is not None


def test_a_dominated_sum_is_withheld_while_its_count_is_released(
    client: TestClient, planted: str
) -> None:
    body = _get(client, "group_by=country,exploitation_type")
    dominated = _cell(body, country="KE", exploitation_type="sexual")
    assert dominated is not None
    assert abs(dominated["report_count"] - 20) <= D
    assert dominated["victim_sum"] is None  # one record holds 450 of 469 victims (96 %)
    fine = _cell(body, country="GH", exploitation_type="labour")
    assert fine is not None and abs(fine["victim_sum"] - 260) <= 0.2 * 260


# --- what is said about hidden cells ------------------------------------------------------


def test_hidden_and_empty_cells_look_alike(client: TestClient, planted: str) -> None:
    base = "group_by=exploitation_type&filter[country]=NG&filter[exploitation_type]=labour,"
    hidden = _get(client, base + "organ_removal")  # 9 records: hidden
    empty = _get(client, base + "forced_marriage")  # no records at all
    assert hidden["rows"] == empty["rows"] and len(hidden["rows"]) == 1
    assert hidden["cells_not_shown"] == empty["cells_not_shown"] == 1
    hidden_claims = hidden["receipt"]["claims"]["hidden_cells_by_reason"]
    assert hidden_claims == empty["receipt"]["claims"]["hidden_cells_by_reason"]
    # A filtered single cell says nothing at all about hiding.
    single = _get(client, "filter[country]=NG&filter[exploitation_type]=organ_removal")
    assert single["rows"] == [] and single["cells_not_shown"] is None
    assert single["receipt"]["claims"]["hidden_cells_by_reason"] is None


def test_rewording_and_repeats_give_identical_answers(
    views_app: ViewsApp, client: TestClient, planted: str
) -> None:
    short = _get(client, "group_by=exploitation_type&filter[admin1]=GH-AA")
    long = _get(client, "group_by=exploitation_type&filter[country]=GH&filter[admin1]=GH-AA")
    padded = _get(
        client, "group_by=exploitation_type&filter[admin1]=GH-AA,ZZ-00&filter[country]=GH,KE"
    )
    assert short["rows"] == long["rows"] == padded["rows"] and short["rows"]
    # A margin asked through a finer query's filter is the same cell, with the same noise.
    margin = _get(client, "group_by=country&filter[country]=GH")
    total = _get(client, "group_by=country")
    assert _cell(margin, country="GH") == _cell(total, country="GH")
    assert _get(client, "group_by=country")["rows"] == total["rows"]  # repeats: same noise
    with Session(views_app.engine) as session:
        scopes = session.exec(select(QueryScope).where(QueryScope.org == "ngo-a")).all()
    # the three wordings cover one record set; the margin, the total: one scope each
    assert len(scopes) == 3 and {s.release_id for s in scopes} == {planted}


def test_query_allowance_exhausts_with_429_and_repeats_stay_free(
    views_app: ViewsApp, client: TestClient, policy: Any, planted: str
) -> None:
    views_app.privacy.scope_allowance = 2
    views_app.use(policy=policy)
    _get(client, "group_by=country")
    _get(client, "group_by=exploitation_type")
    refused = client.get(f"{URL}?group_by=country,exploitation_type", headers=as_("ngo"))
    assert refused.status_code == 429
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["type"].endswith("/query-allowance-exhausted")
    assert "rows" not in refused.json()
    assert _get(client, "group_by=country")["rows"]  # a repeat costs nothing
    other = client.get(f"{URL}?group_by=country,exploitation_type", headers=as_("nra"))
    assert other.status_code == 200  # per organisation
    denied = [e for e in views_app.events("view.query") if e.outcome == "deny"]
    assert [e.detail["reasons"] for e in denied] == [["query_allowance_exhausted"]]


# --- receipts -----------------------------------------------------------------------------


def _verify(path: Path, jwks: Path) -> int:
    result = CliRunner().invoke(beacon_cli, ["receipts", "verify", str(path), "--jwks", str(jwks)])
    return result.exit_code


def test_receipts_verify_on_every_format_and_break_when_a_row_is_edited(
    client: TestClient, planted: str, tmp_path: Path
) -> None:
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps(JWKS))
    url = f"{URL}?group_by=country,exploitation_type"
    body = client.get(url, headers=as_("ngo"))
    claims = body.json()["receipt"]["claims"]
    assert (claims["release_id"], claims["k"], claims["p"], claims["mode"]) == (
        planted, 10, 2, "cellkey",
    )  # fmt: skip
    assert claims["noise"]["method"] == "cell-key" and claims["dominance"]["share"] == 0.85
    for fmt in ("json", "csv", "arrow"):
        answer = tmp_path / f"answer.{fmt}"
        answer.write_bytes(client.get(f"{url}&format={fmt}", headers=as_("ngo")).content)
        assert _verify(answer, jwks) == 0, fmt
    edited = body.json()
    edited["rows"][0]["report_count"] += 1
    (tmp_path / "edited.json").write_text(json.dumps(edited))
    assert _verify(tmp_path / "edited.json", jwks) == 1
    receipt_line, _, text = (tmp_path / "answer.csv").read_text().partition("\n")
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["report_count"] = str(int(rows[0]["report_count"]) + 1)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), quoting=csv.QUOTE_NONNUMERIC)
    writer.writeheader()
    writer.writerows(rows)
    (tmp_path / "edited.csv").write_text(receipt_line + "\n" + out.getvalue())
    assert _verify(tmp_path / "edited.csv", jwks) == 1
    table = ipc.open_stream(io.BytesIO((tmp_path / "answer.arrow").read_bytes())).read_all()
    counts = table.column("report_count").to_pylist()
    changed = table.set_column(
        table.schema.get_field_index("report_count"),
        "report_count",
        pa.array([counts[0] + 1, *counts[1:]], pa.int64()),
    )
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, changed.schema) as writer:
        writer.write_table(changed)
    (tmp_path / "edited.arrow").write_bytes(sink.getvalue().to_pybytes())
    assert _verify(tmp_path / "edited.arrow", jwks) == 1
