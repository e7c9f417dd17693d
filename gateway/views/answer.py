"""Cell-key answers: which cells of a query are released, and with which consistent noise.

Defends against small-cell disclosure, padding with the caller's own rows, one-organisation
cells, dominant records, and differencing/averaging of repeated or reworded queries:

- every output cell arrives with its own record statistics (``repository.cells``): ``_n``,
  ``_n_other`` and ``_orgs_other`` (records and organisations *other than the caller*),
  ``_key_sum`` (sum of the secret record keys mod 2**32) and the top-2 contributions per sum;
- a cell is released iff ``_n_other >= k`` and ``_orgs_other >= P`` (``privacy.rules``): the
  caller's own rows never help a cell pass, so padding a hidden cell gains nothing;
- released counts and sums are perturbed with ``privacy.cellkey`` from the cell's own
  ``(n, key_sum)``: the same record set always gets the same noise, however it was asked for,
  and a total is perturbed from its own records, never by adding perturbed cells;
- a sum failing the dominance rule is withheld (null) while the cell's count is released;
- which cells are hidden depends only on the records each cell covers, so hidden cells and
  empty cells look alike; what the caller learns about them is ``cells_not_shown`` (see
  ``domains``), never a per-cell hidden count.

The canonical scope of a query (SHA-256 of the sorted ``(key_sum, n)`` pairs of every
non-empty cell it covers) names the record sets asked for, for the query-variety allowance.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from gateway.policy.contract import DominanceObligation
from gateway.privacy.cellkey import PerturbationTable, default_table, perturb_counts, perturb_sums
from gateway.privacy.rules import dominance_mask, threshold_mask
from gateway.views.errors import RecordKeysMissingError
from gateway.views.model import ViewDefinition
from gateway.views.repository import KEY_SUM, N_OTHER, ORGS_OTHER, TOP, UNKEYED, N

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CellStats:
    """The per-cell record statistics of one query, as numpy arrays (one entry per cell)."""

    n: IntArray
    n_other: IntArray
    orgs_other: IntArray
    key_sum: IntArray

    @classmethod
    def of(cls, cells: pa.Table) -> CellStats:
        if cells.num_rows and int(_ints(cells, UNKEYED).sum()) > 0:
            raise RecordKeysMissingError(
                "this release holds records without a record key or organisation; "
                "it cannot be answered (cut a new release once the records are re-keyed)"
            )
        return cls(
            _ints(cells, N), _ints(cells, N_OTHER), _ints(cells, ORGS_OTHER), _ints(cells, KEY_SUM)
        )

    @classmethod
    def empty(cls) -> CellStats:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, none)

    def passing(self, k: int, p: int) -> BoolArray:
        return threshold_mask(self.n_other, self.orgs_other, k, p)

    def scope_hash(self) -> str:
        """SHA-256 over the sorted (key_sum, n) pairs: the record sets this query covers."""
        pairs = sorted(zip(self.key_sum.tolist(), self.n.tolist(), strict=True))
        text = ";".join(f"{key}:{n}" for key, n in pairs)
        return hashlib.sha256(b"beacon-scope/v1\x00" + text.encode()).hexdigest()


@dataclass(frozen=True)
class CellKeyAnswer:
    table: pa.Table  # released cells only: group_by columns + measures (perturbed)
    hidden: int  # non-empty cells not released (audit trail only, never to the caller)
    sums_withheld: int  # released cells whose sum (some measure) failed the dominance rule


def summed_columns(view: ViewDefinition, measures: Sequence[str]) -> dict[str, str]:
    """measure -> summed column, for the sum measures among ``measures``."""
    from gateway.views.expressions import check_measure

    out: dict[str, str] = {}
    for name in measures:
        column = check_measure(view.measures[name].sql)
        if column is not None:
            out[name] = column
    return out


def cellkey_answer(
    cells: pa.Table,
    *,
    group_by: Sequence[str],
    measures: Sequence[str],
    summed: Mapping[str, str],
    stats: CellStats,
    k: int,
    p: int,
    dominance: DominanceObligation,
    table: PerturbationTable | None = None,
) -> CellKeyAnswer:
    """Release the passing cells with cell-key noise; withhold dominated sums."""
    ptable = table or default_table()
    release = stats.passing(k, p)
    idx = np.flatnonzero(release)
    columns: dict[str, pa.Array] = {d: cells.column(d).take(idx) for d in group_by}
    n, key_sum = stats.n[idx], stats.key_sum[idx]
    withheld = np.zeros(idx.size, dtype=bool)
    for name in measures:
        if name not in summed:
            columns[name] = pa.array(perturb_counts(n, key_sum, table=ptable), pa.int64())
            continue
        values, ok = _sum_measure(cells, name, idx, dominance)
        noisy = perturb_sums(values, n, key_sum, measure=name, table=ptable)
        columns[name] = pa.array(np.rint(noisy).astype(np.int64), pa.int64(), mask=~ok)
        withheld |= ~ok
    return CellKeyAnswer(
        pa.table(columns), int(stats.n.size - idx.size), int(np.count_nonzero(withheld))
    )


def dominance_ok(
    cells: pa.Table, name: str, idx: IntArray, dominance: DominanceObligation
) -> BoolArray:
    """True where the sum ``name`` of the cells ``idx`` may be released (the (n, k) rule)."""
    return _sum_measure(cells, name, idx, dominance)[1]


def _sum_measure(
    cells: pa.Table, name: str, idx: IntArray, dominance: DominanceObligation
) -> tuple[npt.NDArray[np.float64], BoolArray]:
    values = cells.column(name).take(idx).to_numpy(zero_copy_only=False).astype(np.float64)
    tops = cells.column(TOP + name).take(idx).to_pylist()
    top1 = np.array([_nth(t, 0) for t in tops], dtype=np.float64)
    top2 = np.array([_nth(t, 1) for t in tops], dtype=np.float64)
    # A negative or missing contribution has no meaningful share: withhold (fail closed).
    with np.errstate(invalid="ignore"):
        bad = np.isnan(values) | (values < 0) | np.isnan(top1) | (top1 < 0) | (top2 < 0)
        bad |= top1 + np.nan_to_num(top2) > values * (1 + 1e-9) + 1e-9  # a negative record
    safe = np.where(bad, 0.0, values)
    ok = dominance_mask(
        safe,
        np.where(bad, 0.0, top1),
        np.where(bad, 0.0, np.minimum(top2, top1)),
        n=dominance.n,
        share=dominance.share,
    )
    return safe, ok & ~bad


def _nth(values: list[object] | None, i: int) -> float:
    if not values or len(values) <= i:
        return 0.0 if values else float("nan")
    value = values[i]
    return float("nan") if value is None else float(value)  # type: ignore[arg-type]


def _ints(table: pa.Table, name: str) -> IntArray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.int64)
