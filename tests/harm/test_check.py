"""The harm data: strict parsing, start-up checks naming file and key, reload, both engines."""

from __future__ import annotations

import json
import os
import shutil
import urllib.request
from pathlib import Path
from typing import Any

import h3
import pytest

from gateway.contracts.errors import ContractError
from gateway.contracts.loader import parse_contract
from gateway.contracts.registry import ContractRegistry
from gateway.harm.check import HarmSource, harm_file, load_checked_harm
from gateway.harm.errors import InvalidHarmDataError
from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.settings import PolicySettings

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "policies" / "beacon" / "harm" / "data.json"
CELL = h3.latlng_to_cell(13.75, 100.5, 7)


def _contracts() -> list[Any]:
    registry = ContractRegistry.load(REPO / "contracts")
    return [registry.get(d) for d in registry.datasets()]


def _write(tmp_path: Path, doc: Any) -> Path:
    path = tmp_path / "data.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _error(tmp_path: Path, doc: Any) -> str:
    path = _write(tmp_path, doc)
    with pytest.raises(InvalidHarmDataError) as info:
        load_checked_harm(path, _contracts())
    message = str(info.value)
    assert message.startswith(f"{path}: ")
    return message


def test_the_shipped_harm_data_is_found_and_checks() -> None:
    path = harm_file(PolicySettings(policy_dir=REPO / "policies"))
    assert path == SHIPPED
    harm = load_checked_harm(path, _contracts())
    assert set(harm.places) == {"shelter", "safe_house", "hotline", "investigation"}
    assert harm.admin1_codes() == () and harm.h3_cells() == ()  # real places never in git


def test_no_harm_file_tags_nothing(tmp_path: Path) -> None:
    assert harm_file(PolicySettings(policy_dir=tmp_path)) is None
    assert load_checked_harm(None, _contracts()).places == {}


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        ({"places": {"shelter": {"admin1": ["th-10"]}}}, "places.shelter: admin1 'th-10' must"),
        ({"places": {"shelter": {"h3_cell": ["87zz"]}}}, "is not a lower-case H3 cell index"),
        ({"places": {"shelter": {"h3_cell": [CELL.upper()]}}}, "not a lower-case H3 cell"),
        ({"places": {"shelter": {"h3_cell": [h3.cell_to_parent(CELL, 2)]}}}, "coarser than H3"),
        ({"places": {"shelters": {}}}, "places: key 'shelters' is not one of 'shelter', "),
        ({"places": {"shelter": {"country": ["TH"]}}}, "unknown key(s) country"),
        ({"place": {}}, "harm: unknown key(s) place"),
        ({"categories": {"nope": {}}}, "categories.nope: no contract for this dataset"),
        (
            {"categories": {"incident_reports": {"no_col": {"shelter": ["x"]}}}},
            "categories.incident_reports.no_col: unknown column of incident_reports",
        ),
        (
            {"categories": {"incident_reports": {"source_type": {"shelter": ["castle"]}}}},
            "categories.incident_reports.source_type.shelter: not allowed values: castle",
        ),
        (
            {"categories": {"incident_reports": {"h3_cell": {"shelter": [CELL]}}}},
            "h3_cell: the column has no closed list of allowed values",
        ),
    ],
)
def test_malformed_harm_data_is_refused_naming_the_key(
    tmp_path: Path, doc: Any, expected: str
) -> None:
    assert expected in _error(tmp_path, doc)


def test_unreadable_or_non_json_files_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidHarmDataError, match="not valid JSON"):
        load_checked_harm(path, _contracts())
    assert "top level must be a mapping" in _error(tmp_path, ["TH-10"])


def test_the_source_follows_edits_and_keeps_the_last_good_document(tmp_path: Path) -> None:
    path = _write(tmp_path, {"places": {"shelter": {"admin1": ["TH-10"]}}})
    source = HarmSource(path, _contracts(), reload_check_seconds=0.0)
    assert source.document().admin1_codes() == ("TH-10",)
    path.write_text(json.dumps({"places": {"shelter": {"admin1": ["TH-10", "TH-50"]}}}))
    os.utime(path, ns=(1, 1))  # a different stamp even within one clock tick
    assert source.document().admin1_codes() == ("TH-10", "TH-50")
    path.write_text(json.dumps({"places": {"shelter": {"admin1": ["bad"]}}}))
    os.utime(path, ns=(2, 2))
    assert source.document().admin1_codes() == ("TH-10", "TH-50")


def test_a_bad_file_stops_the_source_at_start_up(tmp_path: Path) -> None:
    path = _write(tmp_path, {"places": {"shelter": {"admin1": ["bad"]}}})
    with pytest.raises(InvalidHarmDataError):
        HarmSource(path, _contracts())


def _contract(**column: Any) -> dict[str, Any]:
    col = {"name": "channel", "type": "string", "classification": "non_personal", **column}
    return {"dataset": "d", "version": "1.0.0", "title": "D", "columns": [col]}


def test_contract_harmful_values_must_be_allowed_values_of_a_string_column() -> None:
    ok = parse_contract(
        _contract(constraints={"allowed": ["a", "shelter"]}, harmful={"shelter": ["shelter"]})
    )
    assert ok.harmful_values == {"channel": ("shelter",)}
    with pytest.raises(ContractError, match="harmful values not in the allowed values: castle"):
        parse_contract(_contract(constraints={"allowed": ["a"]}, harmful={"shelter": ["castle"]}))
    with pytest.raises(ContractError, match="need a closed list"):
        parse_contract(_contract(harmful={"shelter": ["a"]}))
    with pytest.raises(ContractError, match="harmful"):
        parse_contract(_contract(constraints={"allowed": ["a"]}, harmful={"castle": ["a"]}))
    with pytest.raises(ContractError, match="need a string column"):
        parse_contract(_contract(type="int32", harmful={"shelter": ["1"]}))


def test_the_shipped_contract_declares_shelter_intakes_harmful() -> None:
    registry = ContractRegistry.load(REPO / "contracts")
    contract = registry.get("incident_reports")
    assert contract.harmful_values == {"source_type": ("shelter_intake",)}
    assert contract.column("source_type").to_dict()["harmful"] == {"shelter": ["shelter_intake"]}


def test_opa_serves_the_harm_data_as_the_file_says(opa_server: str) -> None:
    with urllib.request.urlopen(f"{opa_server}/v1/data/beacon/harm", timeout=5) as resp:
        served = json.loads(resp.read())["result"]
    assert served == json.loads(SHIPPED.read_text("utf-8"))


def test_the_embedded_engine_loads_the_harm_data(tmp_path: Path) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    before = EmbeddedPolicyEngine(policies)
    edited = policies / "beacon" / "harm" / "data.json"
    edited.write_text(json.dumps({"places": {"shelter": {"admin1": ["TH-10"]}}}))
    after = EmbeddedPolicyEngine(policies)
    try:
        assert before.revision() != after.revision()  # the harm data is part of the policy data
    finally:
        before.close()
        after.close()
