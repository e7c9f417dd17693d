"""`beacon releases cut|list` through the real typer app, on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.settings import Settings
from tests.releases.conftest import Releases

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BEACON_DATABASE__URL", settings.database.url.get_secret_value())
    monkeypatch.setenv("BEACON_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("BEACON_STORE__URI", settings.store.uri)
    monkeypatch.setenv("BEACON_CONTRACTS_DIR", str(settings.contracts_dir))
    monkeypatch.setenv("BEACON_MODE", "dev")
    monkeypatch.delenv("BEACON_PRIVACY__RELEASE_EVERY", raising=False)
    return CliRunner()


def test_cut_and_list(cli: CliRunner, releases: Releases) -> None:
    r = cli.invoke(app, ["releases", "cut", "incident_reports"])
    assert r.exit_code == 1 and "release-unchanged" in r.output
    releases.commit("ngo-a", 3, seed=1)
    r = cli.invoke(app, ["releases", "cut", "incident_reports"])
    assert r.exit_code == 1 and "release-too-small" in r.output
    releases.commit("ngo-b", 8, seed=2)
    releases.commit("ngo-c", 8, seed=3)  # 19 entities, 11 beyond the largest org's 8
    r = cli.invoke(app, ["releases", "cut", "incident_reports", "--json"])
    assert r.exit_code == 0, r.output
    cut = json.loads(r.output)
    assert cut["dataset"] == "incident_reports" and cut["release_id"]
    r = cli.invoke(app, ["releases", "cut", "no_such_dataset"])
    assert r.exit_code == 1 and "no dataset named" in r.output and "Traceback" not in r.output

    r = cli.invoke(app, ["releases", "list", "--json"])
    listed = [json.loads(line) for line in r.output.splitlines()]
    assert [(x["id"], x["added_rows"], x["cut_by"]) for x in listed] == [
        (cut["release_id"], 19, "cli")
    ]
    r = cli.invoke(app, ["releases", "list", "--all", "--json"])
    assert sorted(json.loads(line)["status"] for line in r.output.splitlines()) == [
        "published",
        "refused",
    ]


def test_cut_due_needs_a_schedule(
    cli: CliRunner, releases: Releases, monkeypatch: pytest.MonkeyPatch
) -> None:
    r = cli.invoke(app, ["releases", "cut", "--due"])
    assert r.exit_code == 2 and "RELEASE_EVERY" in r.output
    r = cli.invoke(app, ["releases", "cut"])
    assert r.exit_code == 2
    monkeypatch.setenv("BEACON_PRIVACY__RELEASE_EVERY", "7d")
    releases.commit("ngo-a", 10, seed=1)
    releases.commit("ngo-b", 10, seed=2)
    r = cli.invoke(app, ["releases", "cut", "--due", "--json"])
    assert r.exit_code == 0, r.output
    outcomes = {o["dataset"]: o for o in map(json.loads, r.output.splitlines())}
    assert outcomes["incident_reports"]["release_id"]
    assert outcomes["financial_indicators"]["problem"] == "release-unchanged"
    r = cli.invoke(app, ["releases", "cut", "--due", "--json"])
    assert "incident_reports" not in r.output  # released less than 7 days ago: not due
