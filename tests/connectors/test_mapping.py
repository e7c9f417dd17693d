"""Mapping: renames, value maps, constants, identity profiles, mapping errors."""

from __future__ import annotations

import pyarrow as pa
import pytest

from connectors.errors import MappingError
from connectors.mapping import apply_value_map, check_mapping
from connectors.profile import DatasetMapping, Profile
from connectors.push import prepare
from gateway.contracts import Contract
from tests.connectors.conftest import REPO


def test_prepare_renames_maps_and_adds_constants(
    ngo_profile: Profile, ngo_table: pa.Table, incident_contract: Contract
) -> None:
    prepared = prepare(ngo_profile, "incident_reports", ngo_table, incident_contract)
    t = prepared.table
    # Contract order, only contract columns.
    assert t.column_names == [c for c in incident_contract.column_names if c in t.column_names]
    assert set(t.column("gender").to_pylist()) <= {"female", "male", "non_binary", "unknown"}
    assert t.column("source_type").to_pylist() == ["ngo_case"] * t.num_rows
    assert t.column("country").to_pylist() == ngo_table.column("country_code").to_pylist()
    assert "sexual" in t.column("exploitation_type").to_pylist()
    assert prepared.unmapped == ["caseworker_notes"]
    assert prepared.dropped == ["victim_name", "victim_phone", "caseworker"]
    assert prepared.sent_from["report_id"] == "pseudonym of case_number"


def test_value_map_passes_unknown_values_and_nulls_through() -> None:
    col = pa.chunked_array([["F", "M", None], ["Q", "F"]])
    out = apply_value_map(col, {"F": "female", "M": "male"})
    assert out.to_pylist() == ["female", "male", None, "Q", "female"]


def test_value_map_casts_non_string_columns() -> None:
    out = apply_value_map(pa.chunked_array([[1, 2, 3]]), {"1": "one"})
    assert out.to_pylist() == ["one", "2", "3"]


def test_check_mapping_names_every_problem(incident_contract: Contract) -> None:
    rules = DatasetMapping(columns={"no_such_column": "a", "country": "missing_src"})
    with pytest.raises(MappingError) as info:
        check_mapping(incident_contract, rules, ["a", "b"])
    msg = str(info.value)
    assert "not columns of contract incident_reports 1.0.0: no_such_column" in msg
    assert "source column(s) not in the file: missing_src" in msg
    assert "required contract column(s) not mapped" in msg and "report_id" in msg


def test_identity_profile_maps_present_columns_to_themselves(incident_contract: Contract) -> None:
    profile = Profile.identity(
        "http://gw", "c", "s", "incident_reports", contracts_dir=REPO / "contracts"
    )
    rules = profile.mapping_for("incident_reports")
    assert rules.pseudonymised_upstream == ["report_id"]
    assert rules.send_free_text == ["narrative"]
    source = pa.table(
        {
            "report_id": ["abcdefgh12"],
            "received_at": ["2024-01-01T00:00:00Z"],
            "country": ["TH"],
            "exploitation_type": ["labour"],
            "victim_count": ["1"],
            "source_type": ["hotline"],
            "confidence": ["3"],
            "extra": ["x"],
        }
    )
    prepared = prepare(profile, "incident_reports", source, incident_contract)
    assert "extra" not in prepared.table.column_names
    assert prepared.unmapped == ["extra"]
    assert prepared.table.column("report_id").to_pylist() == ["abcdefgh12"]
