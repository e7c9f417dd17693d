"""Shared by both validators: failing cells → valid rows, rejected-row report, reason counts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gateway.contracts.conform import ConformResult, show
from gateway.contracts.model import ColumnSpec, Contract
from gateway.contracts.outcome import REASON_TYPE, RULES, ValidationOutcome

_RULE_POS = {r: i for i, r in enumerate(RULES)}


@dataclass(frozen=True)
class Failure:
    """Rows (0-based, ascending) whose ``column`` failed ``rule``."""

    column: str
    rule: str
    rows: np.ndarray


def build_outcome(
    contract: Contract, conformed: ConformResult, failures: list[Failure]
) -> ValidationOutcome:
    """Merge validator failures with cast failures into one deterministic outcome."""
    table = conformed.table
    failures = _without_cast_nulls(failures, conformed)
    n = table.num_rows
    bad = np.zeros(n, dtype=bool)
    for f in failures:
        bad[f.rows] = True
    for r in conformed.cast_rejections:
        bad[r.row] = True
    rejected_rows = np.flatnonzero(bad)
    values = _rejected_values(contract, conformed, rejected_rows)

    col_pos = {c.name: i for i, c in enumerate(contract.columns)}
    rows_parts: list[np.ndarray] = []
    cols: list[str] = []
    rules: list[str] = []
    messages: list[str] = []
    counts: dict[tuple[int, int], int] = {}
    for f in failures:
        spec = contract.column(f.column)
        pos = np.searchsorted(rejected_rows, f.rows)
        cells = values[f.column].take(pa.array(pos)).to_pylist()
        rows_parts.append(f.rows)
        cols.extend([f.column] * len(f.rows))
        rules.extend([f.rule] * len(f.rows))
        messages.extend(rule_message(spec, f.rule, v) for v in cells)
        key = (col_pos[f.column], _RULE_POS[f.rule])
        counts[key] = counts.get(key, 0) + len(f.rows)
    for r in conformed.cast_rejections:
        assert r.column is not None
        key = (col_pos[r.column], _RULE_POS["type"])
        counts[key] = counts.get(key, 0) + 1
    if conformed.cast_rejections:
        rows_parts.append(np.array([r.row for r in conformed.cast_rejections], dtype=np.int64))
        cols.extend(r.column or "" for r in conformed.cast_rejections)
        rules.extend(r.rule for r in conformed.cast_rejections)
        messages.extend(r.message for r in conformed.cast_rejections)

    all_rows = np.concatenate(rows_parts) if rows_parts else np.zeros(0, dtype=np.int64)
    cp = np.array([col_pos[c] for c in cols], dtype=np.int64)
    rp = np.array([_RULE_POS[r] for r in rules], dtype=np.int64)
    order = np.lexsort((rp, cp, all_rows))
    per_row = np.bincount(np.searchsorted(rejected_rows, all_rows), minlength=len(rejected_rows))
    offsets = np.concatenate([[0], np.cumsum(per_row)]).astype(np.int32)
    take = pa.array(order)
    reasons_struct = pa.StructArray.from_arrays(
        [
            pa.array(cols, pa.string()).take(take),
            pa.array(rules, pa.string()).take(take),
            pa.array(messages, pa.string()).take(take),
        ],
        fields=list(REASON_TYPE),
    )
    reasons = pa.ListArray.from_arrays(pa.array(offsets), reasons_struct)
    rejected = pa.table(
        {
            "row_number": pa.array(rejected_rows, pa.int64()),
            "reasons": reasons,
            **{c.name: values[c.name] for c in contract.columns},
        }
    )
    valid = table.filter(pa.array(~bad)) if rejected_rows.size else table
    reason_counts = {
        f"{contract.columns[c].name}:{RULES[r]}": counts[(c, r)] for c, r in sorted(counts)
    }
    return ValidationOutcome(valid.cast(contract.arrow_schema), rejected, reason_counts)


def _without_cast_nulls(failures: list[Failure], conformed: ConformResult) -> list[Failure]:
    """A cell that failed to parse is null; report it as ``type``, not also as ``required``."""
    out = []
    for f in failures:
        mask = conformed.cast_failed.get(f.column)
        if f.rule == "required" and mask is not None:
            f = Failure(f.column, f.rule, f.rows[~mask[f.rows]])
        if f.rows.size:
            out.append(Failure(f.column, f.rule, np.asarray(f.rows, dtype=np.int64)))
    return out


def _rejected_values(
    contract: Contract, conformed: ConformResult, rows: np.ndarray
) -> dict[str, pa.Array]:
    idx = pa.array(rows, pa.int64())
    out: dict[str, pa.Array] = {}
    for spec in contract.columns:
        source = conformed.originals.get(spec.name, conformed.table.column(spec.name))
        out[spec.name] = pc.cast(source.take(idx), pa.string()).combine_chunks()
    return out


def rule_message(spec: ColumnSpec, rule: str, value: str | None) -> str:
    if rule == "required":
        return "a value is required"
    if rule == "allowed":
        return f"{show(value)} is not an allowed value"
    if rule == "minimum":
        return f"{show(value)} is below the minimum {spec.minimum}"
    if rule == "maximum":
        return f"{show(value)} is above the maximum {spec.maximum}"
    if rule == "pattern":
        return f"{show(value)} does not match the pattern {show(spec.pattern)}"
    if rule == "unique":
        return f"{show(value)} repeats a value of an earlier row"
    return f"{show(value)} failed {rule}"


def later_duplicates(column: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """True for every non-null value already seen at a lower row index.

    The common case (no duplicates) is settled by one hash pass (``unique``); only a batch with
    duplicates pays for the dictionary encoding that locates first occurrences.
    """
    non_null = len(column) - column.null_count
    if len(pc.unique(column)) - (1 if column.null_count else 0) == non_null:
        return np.zeros(len(column), dtype=bool)
    encoded = pc.dictionary_encode(column)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.unify_dictionaries().combine_chunks()
    valid = np.asarray(pc.is_valid(encoded.indices).to_numpy(zero_copy_only=False), dtype=bool)
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    _, first = np.unique(codes, return_index=True)
    dup = valid.copy()
    dup[first] = False
    return dup


def bound_scalar(spec: ColumnSpec, bound: int | float | str) -> pa.Scalar:
    if spec.type == "date":
        return pa.scalar(dt.date.fromisoformat(str(bound)), pa.date32())
    if spec.type == "timestamp":
        return pa.scalar(dt.datetime.fromisoformat(str(bound)), spec.arrow_type)
    return pa.scalar(bound, pa.float64() if isinstance(bound, float) else spec.arrow_type)
