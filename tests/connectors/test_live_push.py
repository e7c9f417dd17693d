"""Push from every source kind into a running gateway and read back what reached the store."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
import xlsxwriter
from typer.testing import CliRunner

from connectors.cli import app
from connectors.client import GatewayClient
from connectors.plan import Plan
from connectors.profile import load_profile
from connectors.push import push_source
from connectors.sources import open_source
from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.serving import serve_in_thread
from tests.connectors.conftest import write_profile
from tests.connectors.live import LiveGateway, live, live_settings, start_gateway
from tests.fixtures.postgres import fresh_pg_database

pytestmark = pytest.mark.integration
__all__ = ["live"]

ROWS = 240
IDENTITY = """
[datasets.incident_reports]
identity = true
pseudonymised_upstream = ["report_id"]
send_free_text = ["narrative"]
"""


def _as_text(table: pa.Table) -> pa.Table:
    return pa.table({n: table.column(n).cast(pa.string()) for n in table.column_names})


def _write(kind: str, table: pa.Table, tmp_path: Path, pg_admin_url: str | None) -> str:
    text = _as_text(table)
    if kind == "csv":
        pacsv.write_csv(table, tmp_path / "src.csv")
        return str(tmp_path / "src.csv")
    if kind == "parquet":
        pq.write_table(table, tmp_path / "src.parquet")
        return str(tmp_path / "src.parquet")
    if kind == "jsonl":
        with (tmp_path / "src.jsonl").open("w") as handle:
            for row in text.to_pylist():
                handle.write(json.dumps({k: v for k, v in row.items() if v is not None}) + "\n")
        return str(tmp_path / "src.jsonl")
    if kind == "xlsx":
        book = xlsxwriter.Workbook(str(tmp_path / "src.xlsx"))
        sheet = book.add_worksheet()
        sheet.write_row(0, 0, text.column_names)
        for r, row in enumerate(text.to_pylist(), start=1):
            sheet.write_row(r, 0, [v if v is not None else "" for v in row.values()])
        book.close()
        return str(tmp_path / "src.xlsx")
    assert pg_admin_url is not None
    url = fresh_pg_database(pg_admin_url)
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    cases = sa.Table("cases", meta, *(sa.Column(n, sa.Text) for n in text.column_names))
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(cases.insert(), text.to_pylist())
    engine.dispose()
    return url


@pytest.mark.parametrize("kind", ["csv", "xlsx", "parquet", "jsonl", "sql"])
def test_every_source_kind_arrives_in_the_store(
    kind: str, live: LiveGateway, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    table = generate("incident_reports", ROWS, seed=41)
    pg = request.getfixturevalue("pg_admin_url") if kind == "sql" else None
    location = _write(kind, table, tmp_path, pg)
    body = IDENTITY
    if kind == "sql":
        body += f'[datasets.incident_reports.source]\nkind = "sql"\nlocation = "{location}"\n'
        body += '[datasets.incident_reports.source.options]\ntable = "cases"\nbatch_rows = 50\n'
    profile = write_profile(tmp_path, live.profile_text(body))
    args = ["push", "-p", str(profile), "-d", "incident_reports", "--batch-rows", "100", "--json"]
    result = CliRunner().invoke(app, args if kind == "sql" else [*args, location])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["rows"], summary["accepted"], summary["rejected"]) == (ROWS, ROWS, 0)
    assert len(summary["batch_ids"]) == 3
    stored = live.stored()
    assert stored.num_rows == ROWS
    assert sorted(stored.column("report_id").to_pylist()) == sorted(
        table.column("report_id").to_pylist()
    )
    by_id = {
        r["report_id"]: r
        for r in stored.select(["report_id", "country", "victim_count"]).to_pylist()
    }
    for row in table.select(["report_id", "country", "victim_count"]).to_pylist():
        assert by_id[row["report_id"]] == row


def test_token_expiring_mid_push_is_refreshed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = live_settings(tmp_path, token_ttl_seconds=1, leeway_seconds=0)
    client_id, secret = start_gateway(settings)
    monkeypatch.setenv("LIVE_SECRET", secret)
    table = generate("incident_reports", 90, seed=5)
    pq.write_table(table, tmp_path / "src.parquet")
    with serve_in_thread(create_app(settings)) as url:
        gw = LiveGateway(url, client_id, secret, settings)
        profile = load_profile(write_profile(tmp_path, gw.profile_text(IDENTITY)))
        source = open_source("parquet", tmp_path / "src.parquet")
        plan = Plan(profile, "incident_reports", _contract(), source.schema)
        with GatewayClient.from_profile(profile) as client:
            # Each chunk waits out the token's lifetime before the next one is sent.
            summary = push_source(
                client, plan, source, batch_rows=30, progress=lambda n: time.sleep(1.3)
            )
        assert summary.accepted == 90 and len(summary.batches) == 3
        assert gw.stored().num_rows == 90


def _contract():  # type: ignore[no-untyped-def]
    from connectors.contract_source import contract_in
    from tests.connectors.live import REPO

    return contract_in(REPO / "contracts", "incident_reports")


def test_rows_the_gateway_rejects_land_in_a_csv_beside_the_source(
    live: LiveGateway, tmp_path: Path, ngo_profile_path: Path, ngo_csv: Path
) -> None:
    source = tmp_path / "cases.csv"
    source.write_bytes(ngo_csv.read_bytes())
    text = ngo_profile_path.read_text()
    body = text[text.index("[datasets.incident_reports]") :]
    head = 'pseudonymisation_key_env = "SAFE_HARBOUR_PSEUDONYM_KEY"\n'
    profile = write_profile(tmp_path, live.profile_text(head + body))
    args = ["push", "-p", str(profile), "-d", "incident_reports", str(source), "--json"]
    result = CliRunner().invoke(app, [*args, "--fail-on-rejects"])
    assert result.exit_code == 3, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["rejected"]) == (47, 3)
    rejected = pacsv.read_csv(tmp_path / "cases.rejected.csv").to_pylist()
    assert summary["rejected_rows_file"] == str(tmp_path / "cases.rejected.csv")
    assert sorted(r["source_row"] for r in rejected) == [8, 20, 34]  # as the dry run says
    assert all(r["batch_id"] == summary["batch_ids"][0] for r in rejected)
    assert all(":" in r["reasons"] for r in rejected)
    assert live.stored().num_rows == 47
