"""Every rule, on both engines, with identical rejected rows and reasons."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from connectors.synthetic.corrupt import inject_errors
from connectors.synthetic.synth import generate
from gateway.contracts import (
    Contract,
    ValidationOutcome,
    Validator,
    get_validator,
    validate_batch,
)

ENGINES = ["arrow", "gx"]


def _rows(n: int) -> dict[str, list[object]]:
    return {
        "report_id": [f"report-{i:04d}" for i in range(n)],
        "received_at": ["2023-05-01T10:00:00Z"] * n,
        "country": ["TH"] * n,
        "admin1": ["TH-10"] * n,
        "exploitation_type": ["labour"] * n,
        "victim_count": ["2"] * n,
        "source_type": ["hotline"] * n,
        "confidence": ["3"] * n,
        "occurred_on": ["2023-04-01"] * n,
        "control_methods": ["threats;debt_bondage"] * n,
    }


# (column, bad text, rule) — one planted error per row, row i+1 (row 0 stays valid).
PLANTED = [
    ("report_id", "", "required"),
    ("victim_count", "many", "type"),
    ("received_at", "2023-13-01T00:00:00Z", "type"),
    ("country", "XX", "allowed"),
    ("exploitation_type", "Labour", "allowed"),
    ("victim_count", "0", "minimum"),
    ("occurred_on", "1989-12-31", "minimum"),
    ("received_at", "1999-12-31T23:59:59Z", "minimum"),
    ("victim_count", "501", "maximum"),
    ("confidence", "6", "maximum"),
    ("admin1", "Bangkok", "pattern"),
    ("control_methods", "threats;;debt_bondage", "pattern"),
    ("report_id", "report-0000", "unique"),
]


def _planted_table() -> pa.Table:
    rows = _rows(len(PLANTED) + 1)
    for i, (column, value, _rule) in enumerate(PLANTED, start=1):
        rows[column][i] = value
    return pa.table({k: pa.array(v, pa.string()) for k, v in rows.items()})


@pytest.fixture(scope="module")
def outcomes(incidents: Contract) -> dict[str, ValidationOutcome]:
    table = _planted_table()
    return {e: validate_batch(incidents, table, validator=get_validator(e)) for e in ENGINES}


@pytest.mark.parametrize("engine", ENGINES)
def test_each_rule_rejects_its_row(outcomes: dict[str, ValidationOutcome], engine: str) -> None:
    out = outcomes[engine]
    assert out.accepted_count == 1 and out.rejected_count == len(PLANTED)
    got = [(r.row, r.column, r.rule) for r in out.rejections()]
    assert got == [(i, c, rule) for i, (c, _v, rule) in enumerate(PLANTED, start=1)]
    assert out.reason_counts["victim_count:minimum"] == 1
    assert sum(out.reason_counts.values()) == len(PLANTED)


def test_engines_agree_on_planted_errors(outcomes: dict[str, ValidationOutcome]) -> None:
    assert outcomes["arrow"].rejected.equals(outcomes["gx"].rejected)
    assert outcomes["arrow"].valid.equals(outcomes["gx"].valid)
    assert outcomes["arrow"].reason_counts == outcomes["gx"].reason_counts


def test_outcome_shapes(incidents: Contract, outcomes: dict[str, ValidationOutcome]) -> None:
    out = outcomes["arrow"]
    assert out.valid.schema.equals(incidents.arrow_schema, check_metadata=True)
    assert out.rejected.schema.names == ["row_number", "reasons", *incidents.column_names]
    assert out.rejected.schema.field("row_number").type == pa.int64()
    row = out.rejected.filter(pc.equal(out.rejected["row_number"], 2)).to_pylist()[0]
    assert row["victim_count"] == "many"  # the uploaded text, not the null it became
    assert row["reasons"] == [
        {"column": "victim_count", "rule": "type", "message": "'many' is not a valid int32"}
    ]


@pytest.mark.parametrize("engine", ENGINES)
def test_unique_keeps_first_occurrence(incidents: Contract, engine: str) -> None:
    rows = _rows(6)
    rows["report_id"] = ["aaaaaaaa", "bbbbbbbb", "aaaaaaaa", "", "aaaaaaaa", "bbbbbbbb"]
    table = pa.table({k: pa.array(v) for k, v in rows.items()})
    out = validate_batch(incidents, table, validator=get_validator(engine))
    assert [(r.row, r.rule) for r in out.rejections()] == [
        (2, "unique"),
        (3, "required"),
        (4, "unique"),
        (5, "unique"),
    ]


def test_validators_satisfy_the_protocol() -> None:
    for engine in ENGINES:
        validator = get_validator(engine)
        assert isinstance(validator, Validator) and validator.name == engine
        assert get_validator(engine) is validator
    with pytest.raises(ValueError, match="unknown validator"):
        get_validator("pandera")


def test_engines_agree_on_a_synthetic_batch_with_injected_errors(incidents: Contract) -> None:
    clean = generate("incident_reports", 50_000, seed=11)
    dirty, broken = inject_errors(clean, 0.02, seed=5)
    outs = [validate_batch(incidents, dirty, validator=get_validator(e)) for e in ENGINES]
    assert set(outs[0].rejected_row_numbers.tolist()) == broken
    assert outs[0].rejected.equals(outs[1].rejected)
    assert outs[0].valid.equals(outs[1].valid)
    assert outs[0].accepted_count == 50_000 - len(broken)
    rules = {key.split(":")[1] for key in outs[0].reason_counts}
    assert rules == {"required", "type", "allowed", "minimum", "maximum", "pattern", "unique"}
