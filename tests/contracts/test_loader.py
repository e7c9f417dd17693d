"""Contract loading: the shipped contracts, and precise errors for malformed YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest
import yaml

from gateway.contracts import (
    Contract,
    ContractError,
    ContractRegistry,
    UnknownDatasetError,
    load_contract,
)
from gateway.errors import NotFoundError

# Column names other features rely on: renaming one is a breaking change.
EXPECTED_COLUMNS = {
    "incident_reports": [
        "report_id",
        "received_at",
        "occurred_on",
        "occurred_on_approximate",
        "country",
        "admin1",
        "h3_cell",
        "exploitation_type",
        "sector",
        "recruitment_method",
        "control_methods",
        "victim_count",
        "age_band",
        "gender",
        "nationality",
        "source_type",
        "confidence",
        "narrative",
    ],
    "financial_indicators": [
        "record_id",
        "period_start",
        "country",
        "admin1",
        "typology",
        "alert_count",
        "sar_count",
        "amount_band",
        "amount_total",
    ],
    "open_source_items": [
        "item_id",
        "published_at",
        "source",
        "source_kind",
        "country",
        "admin1",
        "exploitation_type",
        "sector",
        "summary",
        "link",
    ],
    "supply_chain_findings": [
        "finding_id",
        "audited_on",
        "supplier_country",
        "supplier_admin1",
        "sector",
        "indicator",
        "indicator_count",
        "workers_affected",
    ],
}


def test_registry_loads_the_four_datasets(registry: ContractRegistry) -> None:
    assert registry.datasets() == sorted(EXPECTED_COLUMNS)
    for dataset, columns in EXPECTED_COLUMNS.items():
        assert registry.get(dataset).column_names == columns


def test_unknown_dataset_is_a_404_problem(registry: ContractRegistry) -> None:
    with pytest.raises(UnknownDatasetError) as info:
        registry.get("nope")
    assert isinstance(info.value, NotFoundError)
    assert info.value.status == 404
    assert info.value.type.endswith("/unknown-dataset")


def test_arrow_schema_carries_nullability_and_classification(incidents: Contract) -> None:
    schema = incidents.arrow_schema
    assert schema.field("report_id").nullable is False
    assert schema.field("narrative").nullable is True
    assert schema.field("received_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("occurred_on").type == pa.date32()
    assert schema.field("victim_count").type == pa.int32()
    assert schema.field("narrative").metadata[b"classification"] == b"free_text"
    assert schema.metadata[b"contract_version"] == incidents.version.encode()
    assert "report_id" in incidents.required_columns
    assert [c.name for c in incidents.columns_with("free_text")] == ["narrative"]
    assert incidents.column("victim_count").maximum == 500


def test_to_dict_is_json_and_round_trips(incidents: Contract, tmp_path: Path) -> None:
    doc = json.loads(json.dumps(incidents.to_dict()))
    assert doc["columns"][0]["constraints"]["unique"] is True
    # The served form (taxonomies expanded) is itself a loadable contract.
    path = tmp_path / "served.yaml"
    path.write_text(yaml.safe_dump(doc))
    assert load_contract(path) == incidents


def _write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return path


def _doc(**column: object) -> dict[str, object]:
    col = {"name": "x", "type": "string", "classification": "non_personal", **column}
    return {"dataset": "d", "version": "1.0.0", "title": "t", "columns": [col]}


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ("a: [unclosed", "not valid YAML"),
        ("- 1\n- 2\n", "top level must be a mapping"),
        ({"dataset": "d", "version": "1.0.0", "title": "t"}, "missing key(s) columns"),
        ({**_doc(), "owner": "me"}, "unknown key(s) owner"),
        ({**_doc(), "dataset": "Bad-Name"}, "dataset 'Bad-Name' must match"),
        ({**_doc(), "version": "1.0"}, "is not semantic"),
        ({**_doc(), "columns": []}, "columns must be a non-empty list"),
        (_doc(type="varchar"), "type 'varchar' is not one of"),
        (_doc(classification="secret"), "classification 'secret' is not one of"),
        (_doc(required="yes"), "required must be true or false"),
        (_doc(colour="red"), "column 'x': unknown key(s) colour"),
        (_doc(constraints={"allowed": []}), "allowed must be a non-empty list"),
        (_doc(constraints={"allowed": ["a", "a"]}), "duplicate allowed values: a"),
        (_doc(constraints={"allowed": [1]}), "allowed values must be non-empty strings"),
        (_doc(constraints={"allowed_taxonomy": "iso_9999"}), "unknown allowed_taxonomy"),
        (_doc(type="int32", constraints={"allowed": ["1"]}), "allowed values need a string"),
        (_doc(type="int32", constraints={"minimum": "1"}), "minimum must be a number"),
        (_doc(type="int32", constraints={"minimum": 1.5}), "must be an integer for int32"),
        (_doc(type="int32", constraints={"minimum": 5, "maximum": 1}), "greater than maximum"),
        (_doc(type="date", constraints={"minimum": "2021-13-01"}), "is not an ISO date"),
        (_doc(type="timestamp", constraints={"minimum": "2021-01-01T00:00:00"}), "zone offset"),
        (_doc(constraints={"minimum": 1}), "minimum does not apply to a string column"),
        (_doc(constraints={"pattern": "^("}), "is not a valid regex"),
        (_doc(constraints={"pattern": "^(?<=a)b"}), "is not a valid regex"),  # not RE2
        (_doc(constraints={"pattern": "[a-z]+$"}), "anchored at the start"),
        (_doc(type="bool", constraints={"pattern": "^a$"}), "pattern needs a string column"),
        (_doc(constraints={"unique": "yes"}), "unique must be true or false"),
        (_doc(constraints={"colour": 1}), "constraints: unknown key(s) colour"),
    ],
)
def test_malformed_contracts_are_refused(tmp_path: Path, doc: object, message: str) -> None:
    path = _write(tmp_path, doc)
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)


def test_duplicate_columns_and_datasets_are_refused(tmp_path: Path) -> None:
    doc = _doc()
    doc["columns"] = [*doc["columns"], *doc["columns"]]  # type: ignore[misc]
    with pytest.raises(ContractError, match="duplicate column names: x"):
        load_contract(_write(tmp_path, doc))
    (tmp_path / "a.yaml").write_text(yaml.safe_dump(_doc()))
    (tmp_path / "b.yaml").write_text(yaml.safe_dump(_doc()))
    (tmp_path / "c.yaml").unlink()
    with pytest.raises(ContractError, match="defined twice"):
        ContractRegistry.load(tmp_path)
    with pytest.raises(ContractError, match="does not exist"):
        ContractRegistry.load(tmp_path / "missing")
