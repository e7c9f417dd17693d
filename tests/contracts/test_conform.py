"""Conforming uploads: column-set errors stop the batch, bad cells become type rejections."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from gateway.contracts import Contract, SchemaMismatchError, conform, get_validator, validate_batch
from gateway.contracts.errors import InvalidEncodingError
from gateway.errors import BeaconError

UTC = dt.UTC


def _minimal(n: int = 2) -> dict[str, pa.Array]:
    """The required incident columns, all as strings (a CSV upload)."""
    return {
        "report_id": pa.array([f"report-{i:04d}" for i in range(n)]),
        "received_at": pa.array(["2023-05-01T10:00:00Z"] * n),
        "country": pa.array(["TH"] * n),
        "exploitation_type": pa.array(["labour"] * n),
        "victim_count": pa.array(["2"] * n),
        "source_type": pa.array(["hotline"] * n),
        "confidence": pa.array(["3"] * n),
    }


def test_missing_required_and_extra_columns_are_one_422(incidents: Contract) -> None:
    cols = _minimal()
    del cols["country"], cols["confidence"]
    cols["victim_name"] = pa.array(["x", "y"])
    with pytest.raises(SchemaMismatchError) as info:
        conform(incidents, pa.table(cols))
    err = info.value
    assert isinstance(err, BeaconError) and err.status == 422
    assert err.type.endswith("/schema-mismatch")
    assert err.extensions["missing_columns"] == ["country", "confidence"]
    assert err.extensions["unexpected_columns"] == ["victim_name"]
    assert err.extensions["type_mismatches"] == []
    assert "victim_name" in err.detail and "country" in err.detail


def test_uncastable_typed_column_is_a_type_mismatch(incidents: Contract) -> None:
    cols = _minimal()
    cols["received_at"] = pa.array([True, False])
    cols["victim_count"] = pa.array([dt.date(2021, 1, 1)] * 2)
    with pytest.raises(SchemaMismatchError) as info:
        conform(incidents, pa.table(cols))
    assert info.value.type_mismatches == [
        {"column": "received_at", "expected": "timestamp", "found": "bool"},
        {"column": "victim_count", "expected": "int32", "found": "date32[day]"},
    ]


def test_optional_columns_absent_are_filled_with_nulls(incidents: Contract) -> None:
    result = conform(incidents, pa.table(_minimal()))
    assert result.table.schema == incidents.nullable_schema
    assert result.table.column("narrative").null_count == 2
    assert result.cast_rejections == []


def test_string_cells_that_do_not_parse_are_type_rejections(incidents: Contract) -> None:
    cols = _minimal(4)
    cols["victim_count"] = pa.array(["2", "two", " 7 ", ""])
    cols["received_at"] = pa.array(
        ["2023-05-01", "2023-05-01 12:30", "2023-02-30T00:00:00Z", "2023-05-01T12:00:00+02:00"]
    )
    cols["occurred_on_approximate"] = pa.array(["yes", "FALSE", "maybe", None])
    result = conform(incidents, pa.table(cols))
    t = result.table
    assert t.column("victim_count").to_pylist() == [2, None, 7, None]
    assert t.column("received_at").to_pylist() == [
        dt.datetime(2023, 5, 1, tzinfo=UTC),
        dt.datetime(2023, 5, 1, 12, 30, tzinfo=UTC),  # no offset: UTC
        None,
        dt.datetime(2023, 5, 1, 10, 0, tzinfo=UTC),
    ]
    assert t.column("occurred_on_approximate").to_pylist() == [True, False, None, None]
    assert [(r.row, r.column, r.rule) for r in result.cast_rejections] == [
        (1, "victim_count", "type"),
        (2, "received_at", "type"),
        (2, "occurred_on_approximate", "type"),
    ]
    assert result.cast_rejections[0].message == "'two' is not a valid int32"


def test_typed_columns_cast_with_per_cell_range_checks(incidents: Contract) -> None:
    cols = _minimal(3)
    cols["victim_count"] = pa.array([1, 2**40, 3], pa.int64())
    cols["confidence"] = pa.array([1.0, 2.5, 3.0])
    cols["received_at"] = pa.array([dt.datetime(2023, 1, 1, 8)] * 3, pa.timestamp("ns"))
    cols["country"] = pa.array(["TH", "VN", "TH"]).dictionary_encode()
    result = conform(incidents, pa.table(cols))
    t = result.table
    assert t.column("victim_count").to_pylist() == [1, None, 3]
    assert t.column("confidence").to_pylist() == [1, None, 3]
    assert t.column("received_at")[0].as_py() == dt.datetime(2023, 1, 1, 8, tzinfo=UTC)
    assert t.column("country").type == pa.string()
    assert {(r.row, r.column) for r in result.cast_rejections} == {
        (1, "victim_count"),
        (1, "confidence"),
    }


def test_a_leading_plus_is_a_number_not_a_crash(incidents: Contract) -> None:
    cols = _minimal(3)
    cols["victim_count"] = pa.array(["+2", "-0", "+"])
    result = conform(incidents, pa.table(cols))
    assert result.table.column("victim_count").to_pylist() == [2, 0, None]
    assert [(r.row, r.rule) for r in result.cast_rejections] == [(2, "type")]


def test_invalid_utf8_in_a_typed_upload_is_a_400(incidents: Contract) -> None:
    cols = _minimal(2)
    bad = pa.Array.from_buffers(
        pa.string(),
        2,
        [None, pa.array([0, 2, 4], pa.int32()).buffers()[1], pa.py_buffer(b"TH\xff\xfe")],
    )
    cols["country"] = bad
    with pytest.raises(InvalidEncodingError) as info:
        conform(incidents, pa.table(cols))
    assert info.value.status == 400 and "'country'" in info.value.detail


@pytest.mark.parametrize("validator", ["arrow", "gx"])
def test_a_trailing_newline_fails_the_pattern_in_both_validators(
    incidents: Contract, validator: str
) -> None:
    cols = _minimal(2)
    cols["admin1"] = pa.array(["TH-10\n", "TH-10"])
    out = validate_batch(incidents, pa.table(cols), validator=get_validator(validator))
    assert out.reason_counts == {"admin1:pattern": 1}
    assert out.rejected.column("row_number").to_pylist() == [0]
