"""Validation results: per-cell rejections and the valid/rejected split of one batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pyarrow as pa

RULES: Final = ("required", "type", "allowed", "minimum", "maximum", "pattern", "unique")

REASON_TYPE: Final = pa.struct(
    [("column", pa.string()), ("rule", pa.string()), ("message", pa.string())]
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """One failed check: 0-based ``row`` in the uploaded batch, the column (None: whole row)."""

    row: int
    column: str | None
    rule: str
    message: str


@dataclass(frozen=True)
class ValidationOutcome:
    """Rows that passed (exactly the contract schema, original order) and those that did not.

    ``rejected`` has ``row_number`` (int64), ``reasons`` (list<struct<column, rule, message>>)
    and every contract column's uploaded value as a string. ``reason_counts`` maps
    ``"<column>:<rule>"`` to the number of cells that failed that rule.
    """

    valid: pa.Table
    rejected: pa.Table
    reason_counts: dict[str, int] = field(default_factory=dict)

    @property
    def accepted_count(self) -> int:
        return int(self.valid.num_rows)

    @property
    def rejected_count(self) -> int:
        return int(self.rejected.num_rows)

    @property
    def rejected_row_numbers(self) -> np.ndarray:
        return np.asarray(self.rejected.column("row_number").to_numpy(), dtype=np.int64)

    def rejections(self) -> list[Rejection]:
        """The rejected rows' reasons as ``Rejection`` objects (row order, then column order)."""
        out: list[Rejection] = []
        rows = self.rejected.column("row_number").to_pylist()
        for row, reasons in zip(rows, self.rejected.column("reasons").to_pylist(), strict=True):
            out.extend(Rejection(row, r["column"], r["rule"], r["message"]) for r in reasons)
        return out
