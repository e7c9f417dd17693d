"""Dataset-wide uniqueness of entity keys: a key committed once is never committed again.

Defends against one entity being counted many times (issue 7 #4: a ``report_id`` accepted in
11 batches was released as 11 reports). Within a batch the contract's ``unique`` rule already
keeps the first occurrence; this moves every valid row whose unique-column value is already in
the dataset (any org, any earlier batch) to the rejected rows with reason
``<column>:duplicate``, in the same report shape as every other rejection. The store lookup and
the lock that makes check-then-commit atomic are in ``service``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from gateway.contracts.model import Contract
from gateway.contracts.outcome import REASON_TYPE, ValidationOutcome

if TYPE_CHECKING:
    from gateway.store.delta import DeltaStore

RULE = "duplicate"
MESSAGE = "this value was already committed to the dataset by an earlier batch"


def unique_columns(contract: Contract) -> list[str]:
    return [c.name for c in contract.columns if c.unique]


def committed_duplicates(
    store: DeltaStore, contract: Contract, outcome: ValidationOutcome, *, batch_id: str | None
) -> ValidationOutcome:
    """Quarantine valid rows whose unique-column value another batch already committed."""
    committed = {
        column: store.committed_values(
            contract.dataset, column, outcome.valid.column(column), exclude_batch=batch_id
        )
        for column in unique_columns(contract)
    }
    return quarantine_duplicates(contract, outcome, committed)


def quarantine_duplicates(
    contract: Contract, outcome: ValidationOutcome, committed: Mapping[str, pa.Array]
) -> ValidationOutcome:
    """``outcome`` with valid rows whose value of a column is in ``committed[column]`` rejected."""
    valid = outcome.valid
    hits: dict[str, np.ndarray] = {}
    for column, values in committed.items():
        if len(values):
            mask = pc.fill_null(pc.is_in(valid.column(column), value_set=values), False)
            found = np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)
            if found.any():
                hits[column] = found
    if not hits:
        return outcome
    dup = np.logical_or.reduce(list(hits.values()))
    positions = np.flatnonzero(dup)
    moved = _rejected_rows(contract, valid, positions, _valid_row_numbers(outcome), hits)
    rejected = pa.concat_tables([outcome.rejected, moved.cast(outcome.rejected.schema)])
    rejected = rejected.take(pc.sort_indices(rejected, sort_keys=[("row_number", "ascending")]))
    counts = dict(outcome.reason_counts)
    for column, found in hits.items():
        counts[f"{column}:{RULE}"] = counts.get(f"{column}:{RULE}", 0) + int(found.sum())
    return ValidationOutcome(valid.filter(pa.array(~dup)), rejected, counts)


def _valid_row_numbers(outcome: ValidationOutcome) -> np.ndarray:
    """Valid rows keep upload order, so theirs are the row numbers not rejected."""
    total = outcome.accepted_count + outcome.rejected_count
    return np.setdiff1d(np.arange(total, dtype=np.int64), outcome.rejected_row_numbers)


def _rejected_rows(
    contract: Contract,
    valid: pa.Table,
    positions: np.ndarray,
    row_numbers: np.ndarray,
    hits: Mapping[str, np.ndarray],
) -> pa.Table:
    take = pa.array(positions, pa.int64())
    reasons = [
        [
            {"column": column, "rule": RULE, "message": MESSAGE}
            for column in contract.column_names
            if column in hits and hits[column][p]
        ]
        for p in positions
    ]
    return pa.table(
        {
            "row_number": pa.array(row_numbers[positions], pa.int64()),
            "reasons": pa.array(reasons, pa.list_(REASON_TYPE)),
            **{
                c: pc.cast(valid.column(c).take(take), pa.string()).combine_chunks()
                for c in contract.column_names
            },
        }
    )
