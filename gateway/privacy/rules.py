"""Release rules for a cell: contributor thresholds on counts, a dominance rule on sums.

Defends against disclosure through small or one-sided cells and through dominant records:

- threshold rule: a cell is released only if it rests on at least ``k`` distinct entities and
  at least ``P`` distinct organisations *other than the caller* (``n_other``, ``orgs_other``).
  Counting only others' records means a partner cannot pad a hidden cell past ``k`` with its own
  uploads, and ``P >= 2`` means no cell reveals one organisation's caseload to another.
- dominance rule (the (n, k) rule of business statistics): a sum is withheld when its ``n``
  (1 or 2) largest contributions hold *more than* ``share`` of it (default: top 2 > 85 %),
  because then a contributor can subtract its own value and learn the other's closely.

Pure functions over numpy arrays; ``True`` means release. Inputs must not be negative (a
negative count or contribution is a bug upstream and raises); NaN means "unknown" and is never
released. Exactly ``k`` entities / ``P`` organisations pass; a top share of exactly ``share``
passes. A zero sum (all contributions 0) has no dominant record and passes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


def threshold_mask(n_other: npt.ArrayLike, orgs_other: npt.ArrayLike, k: int, p: int) -> BoolArray:
    """True where n_other >= k and orgs_other >= p (others' records only)."""
    if k < 1 or p < 1:
        raise ValueError("k and P must be at least 1")
    n = _non_negative(n_other, "n_other")
    orgs = _non_negative(orgs_other, "orgs_other")
    if n.shape != orgs.shape:
        raise ValueError("n_other and orgs_other must have the same shape")
    with np.errstate(invalid="ignore"):
        return np.asarray((n >= k) & (orgs >= p), dtype=np.bool_)


def dominance_mask(
    sum_: npt.ArrayLike,
    top1: npt.ArrayLike,
    top2: npt.ArrayLike | None,
    *,
    n: int = 2,
    share: float = 0.85,
) -> BoolArray:
    """True where the n largest contributions hold at most ``share`` of the cell's sum."""
    if n not in (1, 2):
        raise ValueError("the dominance rule looks at the top 1 or top 2 contributions")
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    total = _non_negative(sum_, "sum")
    first = _non_negative(top1, "top1")
    if n == 2:
        if top2 is None:
            raise ValueError("top2 is required for n = 2")
        second = _non_negative(top2, "top2")
    else:
        second = np.zeros_like(first)
    if not total.shape == first.shape == second.shape:
        raise ValueError("sum, top1 and top2 must have the same shape")
    with np.errstate(invalid="ignore"):
        if (second > first).any():
            raise ValueError("top2 must not exceed top1")
        top = first + second
        # 1e-9 relative slack: a sum computed in another order may differ in the last bits.
        if (top > total * (1 + 1e-9) + 1e-9).any():
            raise ValueError("the top contributions exceed the cell's sum")
        ok = top <= share * total * (1 + 1e-12)  # exactly ``share`` passes despite rounding
        return np.asarray(ok & ~np.isnan(total) & ~np.isnan(top), dtype=np.bool_)


def _non_negative(values: npt.ArrayLike, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        if (arr < 0).any():
            raise ValueError(f"{name} must not be negative")
    if np.isinf(arr).any():
        raise ValueError(f"{name} must be finite")
    return arr
