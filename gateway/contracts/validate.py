"""Validate a conformed batch against its contract: two engines, one outcome.

``ArrowValidator`` (pyarrow.compute masks) is the fast path; ``GxValidator`` runs the same rules
as a Great Expectations suite. Both only *find* failing cells; turning failures into the
valid/rejected split, messages and counts is shared, so the engines cannot drift apart.
Uniqueness: within one batch the first occurrence of a value is kept and later ones are rejected.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gateway.contracts.conform import ConformResult, conform
from gateway.contracts.gx import GxValidator
from gateway.contracts.model import ColumnSpec, Contract
from gateway.contracts.outcome import RULES, Rejection, ValidationOutcome
from gateway.contracts.report import Failure, bound_scalar, build_outcome, later_duplicates

_CARDINALITY_SAMPLE = 8192

__all__ = [
    "RULES",
    "ArrowValidator",
    "Failure",
    "GxValidator",
    "Rejection",
    "ValidationOutcome",
    "Validator",
    "get_validator",
    "validate_batch",
]


@runtime_checkable
class Validator(Protocol):
    name: str

    def prepare(self, contract: Contract) -> None:
        """Do per-contract set-up ahead of the first batch (called at start-up)."""

    def validate(self, contract: Contract, conformed: ConformResult) -> ValidationOutcome: ...


class ArrowValidator:
    """Rules as pyarrow.compute masks; uniqueness hashes each unique column once."""

    name = "arrow"

    def prepare(self, contract: Contract) -> None:
        """Nothing to set up: the rules are evaluated straight from the contract."""

    def validate(self, contract: Contract, conformed: ConformResult) -> ValidationOutcome:
        failures: list[Failure] = []
        for spec in contract.columns:
            column = conformed.table.column(spec.name)
            for rule, mask in _masks(spec, column):
                rows = np.flatnonzero(np.asarray(mask, dtype=bool))
                if rows.size:
                    failures.append(Failure(spec.name, rule, rows))
        return build_outcome(contract, conformed, failures)


def _masks(spec: ColumnSpec, column: pa.ChunkedArray) -> list[tuple[str, np.ndarray]]:
    out: list[tuple[str, np.ndarray]] = []
    if spec.required:
        out.append(("required", _np(pc.is_null(column))))
    if column.null_count == len(column):
        return out
    if spec.allowed is not None:
        allowed = pa.array(spec.allowed, pa.string())
        outside = pc.invert(
            pc.is_in(column, value_set=allowed)
        )  # null → false: a null is no failure
        out.append(("allowed", _np(pc.and_(pc.is_valid(column), outside))))
    if spec.minimum is not None:
        out.append(("minimum", _np(pc.less(column, bound_scalar(spec, spec.minimum)))))
    if spec.maximum is not None:
        out.append(("maximum", _np(pc.greater(column, bound_scalar(spec, spec.maximum)))))
    if spec.pattern is not None:
        out.append(("pattern", _np(_mismatches(column, spec.pattern))))
    if spec.unique:
        out.append(("unique", later_duplicates(column)))
    return out


def _mismatches(column: pa.ChunkedArray, pattern: str) -> pa.Array | pa.ChunkedArray:
    """Cells that do not match ``pattern`` (null for null cells).

    A column with few distinct values (codes, cells, lists of codes) is matched once per
    distinct value and the answer spread back to its rows; a mostly distinct one (ids) row by
    row, where dictionary-encoding it first would only add a hash pass.
    """
    sample = column.slice(0, _CARDINALITY_SAMPLE)
    if len(pc.unique(sample)) * 4 > len(sample):
        return pc.invert(pc.match_substring_regex(column, pattern=pattern))
    encoded = pc.dictionary_encode(column.combine_chunks())
    matches = pc.match_substring_regex(encoded.dictionary, pattern=pattern)
    return pc.take(pc.invert(matches), encoded.indices)


def _np(mask: pa.ChunkedArray | pa.Array) -> np.ndarray:
    # A null comparison result (null cell) is not a failure of this rule.
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


def validate_batch(
    contract: Contract, table: pa.Table, *, validator: Validator | None = None
) -> ValidationOutcome:
    """Conform ``table`` to the contract, then validate it (cast failures are rejections)."""
    conformed = conform(contract, table)
    return (validator or ArrowValidator()).validate(contract, conformed)


_VALIDATORS: dict[str, Validator] = {}


def get_validator(name: Literal["gx", "arrow"] | str) -> Validator:
    """A shared validator instance by name (the GX one imports GX on first use)."""
    if name not in _VALIDATORS:
        if name == "arrow":
            _VALIDATORS[name] = ArrowValidator()
        elif name == "gx":
            _VALIDATORS[name] = GxValidator()
        else:
            raise ValueError(f"unknown validator {name!r} (expected 'arrow' or 'gx')")
    return _VALIDATORS[name]
