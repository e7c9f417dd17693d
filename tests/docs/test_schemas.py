"""The committed JSON Schemas match the document models, and the shipped documents pass them."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from gateway.cli import app
from gateway.cli.schemas import SCHEMAS, render, stale

REPO = Path(__file__).resolve().parents[2]


def test_committed_schemas_match_the_models() -> None:
    # Fails when a model changed without `beacon schemas export` being re-run.
    assert stale(REPO) == []


def test_export_writes_and_check_reports_drift(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["schemas", "export", "--root", str(tmp_path), "--check"]).exit_code
    result = runner.invoke(app, ["schemas", "export", "--root", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert stale(tmp_path) == []
    check = runner.invoke(app, ["schemas", "export", "--root", str(tmp_path), "--check"])
    assert check.exit_code == 0
    rel = "policies/schema/grants.schema.json"
    assert (tmp_path / rel).read_text("utf-8") == render(SCHEMAS[rel], rel)


def _schema(rel: str) -> dict[str, object]:
    schema: dict[str, object] = json.loads((REPO / rel).read_text("utf-8"))
    return schema


def test_shipped_documents_validate_against_their_schemas() -> None:
    contract = _schema("contracts/schema/contract.schema.json")
    for path in sorted((REPO / "contracts").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text("utf-8")), contract)
    view = _schema("contracts/schema/view.schema.json")
    for path in sorted((REPO / "gateway" / "views" / "definitions").glob("*.yaml")):
        jsonschema.validate(yaml.safe_load(path.read_text("utf-8")), view)
    grants = json.loads((REPO / "policies/beacon/grants/data.json").read_text("utf-8"))
    jsonschema.validate(grants, _schema("policies/schema/grants.schema.json"))
    bad = {**grants, "owner": "me"}
    with pytest.raises(jsonschema.ValidationError, match="owner"):
        jsonschema.validate(bad, _schema("policies/schema/grants.schema.json"))
