"""Grants are checked against the views and contracts at start-up, naming the file and key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from gateway.app import build_providers
from gateway.contracts.registry import ContractRegistry
from gateway.grants.check import check_grants_file, grants_file, load_grants
from gateway.grants.errors import InvalidGrantsError
from gateway.settings import Settings
from gateway.views.definitions import ViewRegistry

REPO = Path(__file__).resolve().parents[2]
GRANTS = REPO / "policies" / "beacon" / "grants" / "data.json"


@pytest.fixture(scope="module")
def contracts() -> ContractRegistry:
    return ContractRegistry.load(REPO / "contracts")


@pytest.fixture(scope="module")
def views(contracts: ContractRegistry) -> ViewRegistry:
    return ViewRegistry.load(REPO / "gateway" / "views" / "definitions", contracts)


def _grants() -> dict[str, Any]:
    return copy.deepcopy(json.loads(GRANTS.read_text("utf-8")))


def _check(tmp_path: Path, doc: dict[str, Any], views: ViewRegistry, contracts: Any) -> str:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(InvalidGrantsError) as err:
        check_grants_file(path, views.all(), contracts.datasets())
    assert str(path) in err.value.detail
    return err.value.detail


def test_shipped_grants_agree_with_the_views(views: ViewRegistry, contracts: Any) -> None:
    check_grants_file(GRANTS, views.all(), contracts.datasets())
    doc = load_grants(GRANTS)
    assert set(doc.views) == {v.name for v in views.all()}
    assert doc.views["incident_hotspots"].grants[0].id == "ngo-incident-hotspots"


def _unknown_view(d: dict[str, Any]) -> None:
    d["views"]["raw_reports"] = d["views"]["incident_hotspots"]


def _dataset_mismatch(d: dict[str, Any]) -> None:
    d["views"]["incident_hotspots"]["dataset"] = "financial_indicators"


def _grant_dim(d: dict[str, Any]) -> None:
    d["views"]["incident_hotspots"]["grants"][1]["dims"].append("narrative")


def _view_dims(d: dict[str, Any]) -> None:
    d["views"]["supply_chain_risk"]["dims"].remove("indicator")


def _row_filter(d: dict[str, Any]) -> None:
    d["views"]["incident_hotspots"]["grants"][0]["row_filter"] = {"received_at": ["x"]}


def _duplicate_id(d: dict[str, Any]) -> None:
    grants = d["views"]["financial_typologies"]["grants"]
    grants[1]["id"] = grants[0]["id"]


def _contributor(d: dict[str, Any]) -> None:
    d["contributors"]["raw_uploads"] = {"sectors": ["ngo"], "orgs": []}


def _extra_key(d: dict[str, Any]) -> None:
    d["views"]["incident_hotspots"]["grants"][0]["expires"] = "2030-01-01"


def _two_grantees(d: dict[str, Any]) -> None:
    d["views"]["incident_hotspots"]["grants"][0]["org"] = "ngo-a"


def _bad_level(d: dict[str, Any]) -> None:
    d["views"]["incident_hotspots"]["grants"][0]["geo_resolution"] = "street"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_unknown_view, "views.raw_reports: unknown view"),
        (_dataset_mismatch, "views.incident_hotspots.dataset: 'financial_indicators' but the view"),
        (_grant_dim, "views.incident_hotspots.grants[1] (financial-incident-hotspots): "
                     "'narrative' is not a dimension of view incident_hotspots"),
        (_view_dims, "views.supply_chain_risk.dims: differ from the view's dimensions "
                     "(missing: indicator"),
        (_row_filter, "'received_at' is not a dimension of view incident_hotspots"),
        (_duplicate_id, "views.financial_typologies.grants[1] (ngo-financial-typologies).id: "
                        "duplicate grant id"),
        (_contributor, "contributors.raw_uploads: no contract for this dataset"),
        (_extra_key, "views.incident_hotspots.grants[0]: unknown key(s) expires"),
        (_two_grantees, "views.incident_hotspots.grants[0]: a grant names exactly one of org"),
        (_bad_level, "geo_resolution 'street' is not one of"),
    ],
)  # fmt: skip
def test_disagreeing_grants_are_refused(
    tmp_path: Path, views: ViewRegistry, contracts: Any, change: Any, message: str
) -> None:
    doc = _grants()
    change(doc)
    assert message in _check(tmp_path, doc, views, contracts)


def test_the_gateway_refuses_to_start_with_bad_grants(tmp_path: Path) -> None:
    doc = _grants()
    _dataset_mismatch(doc)
    bad = tmp_path / "grants.json"
    bad.write_text(json.dumps(doc))
    settings = Settings(data_dir=tmp_path / "var", contracts_dir=REPO / "contracts")
    settings.policy.policy_dir = REPO / "policies"
    settings.policy.grants_path = bad
    assert grants_file(settings.policy) == bad
    with pytest.raises(InvalidGrantsError, match=r"views\.incident_hotspots\.dataset"):
        build_providers(settings)
