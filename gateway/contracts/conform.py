"""Make an uploaded Arrow table fit a contract's column set and types.

Defends against malformed uploads: unknown or missing columns and un-castable column types stop
the batch (422); individual cells that do not parse become nulls reported as ``type`` rejections,
so one bad cell never fails a whole CSV. Empty or blank strings count as missing values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.types as pat

from gateway.contracts import parse
from gateway.contracts.errors import InvalidEncodingError, SchemaMismatchError
from gateway.contracts.model import ColumnSpec, Contract
from gateway.contracts.outcome import Rejection

_MESSAGE_VALUE_CHARS = 80


@dataclass(frozen=True)
class ConformResult:
    """``table`` has the contract's columns and types, all nullable (cells that failed are null).

    ``originals`` keeps string input columns as uploaded, so rejected-row reports show what the
    partner sent rather than a null; ``cast_failed`` holds per-column row masks of type failures.
    """

    table: pa.Table
    cast_rejections: list[Rejection]
    originals: dict[str, pa.ChunkedArray] = field(default_factory=dict)
    cast_failed: dict[str, np.ndarray] = field(default_factory=dict)


def conform(contract: Contract, table: pa.Table) -> ConformResult:
    """Check the column set, fill absent optional columns, cast every column to its type."""
    _check_column_set(contract, table)
    n = table.num_rows
    arrays: list[pa.ChunkedArray] = []
    originals: dict[str, pa.ChunkedArray] = {}
    failed: dict[str, np.ndarray] = {}
    mismatches: list[dict[str, str]] = []
    present = set(table.column_names)
    for spec in contract.columns:
        if spec.name not in present:
            arrays.append(pa.chunked_array([pa.nulls(n, spec.arrow_type)]))
            continue
        column = _decode(spec.name, table.column(spec.name))
        if pat.is_string(column.type):
            originals[spec.name] = column
            typed, bad = parse.parse_strings(spec.type, column)
        else:
            try:
                typed, bad = parse.cast_typed(spec.type, column)
            except parse.IncompatibleTypeError:
                mismatches.append(
                    {"column": spec.name, "expected": spec.type, "found": str(column.type)}
                )
                continue
        arrays.append(typed)
        if bad is not None and bad.any():
            failed[spec.name] = bad
            originals.setdefault(spec.name, column)
    if mismatches:
        raise SchemaMismatchError(
            f"{len(mismatches)} column(s) have a type that cannot be cast to the contract",
            type_mismatches=mismatches,
        )
    out = pa.Table.from_arrays(arrays, schema=contract.nullable_schema)
    rejections = _type_rejections(contract, table, failed)
    return ConformResult(out, rejections, originals, failed)


def _check_column_set(contract: Contract, table: pa.Table) -> None:
    names = table.column_names
    duplicated = sorted({c for c in names if names.count(c) > 1})
    known = set(contract.column_names)
    missing = [c for c in contract.required_columns if c not in names]
    unexpected = [c for c in names if c not in known]
    if missing or unexpected or duplicated:
        parts = []
        if missing:
            parts.append(f"missing required column(s): {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s): {', '.join(unexpected)}")
        if duplicated:
            parts.append(f"duplicated column(s): {', '.join(duplicated)}")
        raise SchemaMismatchError(
            "; ".join(parts),
            missing_columns=missing,
            unexpected_columns=unexpected + [c for c in duplicated if c not in unexpected],
        )


def _decode(name: str, column: pa.ChunkedArray) -> pa.ChunkedArray:
    if pat.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pat.is_large_string(column.type) or pat.is_string_view(column.type):
        column = column.cast(pa.string())
    if pat.is_string(column.type):
        try:  # Parquet/Arrow writers can smuggle invalid UTF-8 that string kernels choke on
            column.validate(full=True)
        except pa.ArrowInvalid:
            raise InvalidEncodingError(f"column {name!r} contains text that is not UTF-8") from None
    return column


def _type_rejections(
    contract: Contract, table: pa.Table, failed: dict[str, np.ndarray]
) -> list[Rejection]:
    out: list[Rejection] = []
    for name, mask in failed.items():
        spec = contract.column(name)
        rows = np.flatnonzero(mask)
        values = table.column(name).take(pa.array(rows)).to_pylist()
        out.extend(
            Rejection(int(r), name, "type", type_message(spec, v))
            for r, v in zip(rows, values, strict=True)
        )
    out.sort(key=lambda r: r.row)
    return out


def type_message(spec: ColumnSpec, value: object) -> str:
    return f"{show(value)} is not a valid {spec.type}"


def show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MESSAGE_VALUE_CHARS else text[: _MESSAGE_VALUE_CHARS - 3] + "..."
