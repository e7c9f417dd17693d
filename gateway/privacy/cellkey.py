"""Cell-key perturbation: the same small, bounded noise for the same record set, every time.

Defends against differencing and repetition attacks on released tables: asking the same cell
again, or the same record set worded differently (another filter list, a margin of a finer
query), gives the same noisy value, so repeats and rewordings reveal nothing new, and a total is
not the sum of its noisy parts, so subtracting released cells does not cancel the noise. (It does
not defend alone against averaging over many *different* record sets that overlap; the
per-release query-variety allowance bounds that.)

Algorithm (the cell-key method of ABS TableBuilder and the ONS):

- Every stored record carries a secret key ``r`` drawn uniformly from ``[0, 2**32)`` at ingest.
  A cell's *key sum* is the sum of its records' keys (additive: disjoint record sets add, mod
  ``2**32``), and its *cell key* is ``u = (key_sum mod 2**32) / 2**32``. For a non-empty record
  set ``u`` is uniform on ``[0, 1)``, and two different record sets have independent keys (they
  differ by a record whose key is independent of everything else). So the noise depends on the
  records only through ``(n, key_sum)``: a total must be perturbed from its own ``n`` and
  ``key_sum`` (the sums of its parts'), never by adding perturbed parts.
- Counts: the published :class:`PerturbationTable` gives, for each true count ``n``, a
  distribution over integer noise ``d`` in ``[-D, D]``; the released count is ``n + d`` with
  ``d`` the inverse CDF of row ``n`` at ``u`` (``u`` in ``[F(d-1), F(d))`` gives ``d``).
- Row construction (deterministic: bisection to machine precision, probabilities rounded to 12
  decimals; the table id is a hash of the rounded table). ``n = 0`` gets no noise (an empty cell
  stays empty). For ``n >= 1`` the support is ``L..D`` with ``L = max(-D, 1 - n)``, so a
  released count is never below 1. If mean 0 and variance ``V`` are attainable there
  (``V < -L*D``), the row is the maximum-entropy distribution with mean 0 and variance ``V``,
  ``p(d) ~ exp(a*d + b*d**2)`` (for ``n > D`` the support is symmetric, ``a = 0``: a discretised
  Gaussian truncated to ``[-D, D]``). Otherwise (``n = 1`` with the defaults, where noise >= 0
  and mean 0 would mean no noise at all) the row keeps variance ``V`` with the least bias: the
  two-point distribution on ``{L, D}`` with mean ``mu``, ``(mu - L) * (D - mu) = V``. With
  ``D = 3, V = 2`` a true 1 is released as 1 (p = 2/3) or 4 (p = 1/3).
- Sums: ``s' = s + delta * |s|`` with ``delta = R * (v1 + v2 - 1)`` (triangular on ``(-R, R)``,
  mean 0, sd ``R / sqrt(6)``), ``v1, v2`` uniform from SHA-256 of (measure name, ``n``, key sum
  mod ``2**32``): an independent stream per measure from the same cell key, so sums are as
  consistent as counts, bounded by ``|s' - s| < R * |s|``, and ratios of measures stay noisy.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import brentq

KEY_MODULUS = 2**32
METHOD = "cell-key"
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_DECIMALS = 12


@dataclass(frozen=True)
class TableRow:
    """The noise distribution for true counts ``n_min <= n <= n_max`` (``None`` = no limit)."""

    n_min: int
    n_max: int | None
    noise: tuple[int, ...]
    probability: tuple[float, ...]

    @property
    def cumulative(self) -> FloatArray:
        cum = np.round(np.cumsum(np.asarray(self.probability, dtype=np.float64)), _DECIMALS)
        cum[-1] = 1.0
        return np.asarray(cum, dtype=np.float64)

    def mean(self) -> float:
        return float(np.dot(self.noise, self.probability))

    def variance(self) -> float:
        d = np.asarray(self.noise, dtype=np.float64)
        p = np.asarray(self.probability)
        return float(np.dot(d**2, p) - np.dot(d, p) ** 2)


@dataclass(frozen=True)
class PerturbationTable:
    """The published (cell key, true count) -> noise table; rows for n = 0, 1, .., D, D+1+."""

    max_noise: int
    variance: float
    sum_max_relative: float
    rows: tuple[TableRow, ...]

    @classmethod
    def build(
        cls, max_noise: int = 3, variance: float = 2.0, sum_max_relative: float = 0.2
    ) -> PerturbationTable:
        if max_noise < 1 or not 0 < variance <= max_noise**2 / 4:
            raise ValueError("need D >= 1 and 0 < V <= D**2 / 4 (so the n = 1 row exists)")
        if not 0 < sum_max_relative < 1:
            raise ValueError("sum_max_relative must be in (0, 1)")
        rows = [TableRow(0, 0, (0,), (1.0,))]
        for n in range(1, max_noise + 2):
            noise, prob = _row(max(-max_noise, 1 - n), max_noise, variance)
            rows.append(TableRow(n, None if n == max_noise + 1 else n, noise, prob))
        return cls(max_noise, float(variance), float(sum_max_relative), tuple(rows))

    @property
    def table_id(self) -> str:
        digest = hashlib.sha256(json.dumps(self._body(), sort_keys=True).encode()).hexdigest()
        return f"ckm-D{self.max_noise}-V{self.variance:g}-{digest[:12]}"

    def row_for(self, n: int) -> TableRow:
        return self.rows[min(n, self.max_noise + 1)]

    def params(self) -> dict[str, Any]:
        """What a receipt states about the noise."""
        return {
            "method": METHOD,
            "table_id": self.table_id,
            "max_noise": self.max_noise,
            "variance": self.variance,
            "p_zero": self.row_for(self.max_noise + 1).probability[self.max_noise],
            "sum_max_relative": self.sum_max_relative,
        }

    def to_json(self) -> str:
        return json.dumps({"table_id": self.table_id, **self._body()}, indent=2)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["n_min", "n_max", "noise", "probability", "cell_key_from", "cell_key_to"])
        for row in self.rows:
            lower = 0.0
            for d, p, upper in zip(row.noise, row.probability, row.cumulative, strict=True):
                n_max = "" if row.n_max is None else row.n_max
                writer.writerow([row.n_min, n_max, d, repr(p), repr(lower), repr(float(upper))])
                lower = float(upper)
        return out.getvalue()

    def _body(self) -> dict[str, Any]:
        return {
            "method": METHOD,
            "max_noise": self.max_noise,
            "variance": self.variance,
            "sum_max_relative": self.sum_max_relative,
            "sum_noise": "triangular(-R, R) * |s|, from SHA-256(measure, n, key_sum mod 2**32)",
            "rows": [
                {"n_min": r.n_min, "n_max": r.n_max, "noise": r.noise, "probability": r.probability}
                for r in self.rows
            ],
        }


@cache
def default_table() -> PerturbationTable:
    return PerturbationTable.build()


def cell_key(key_sum: int) -> float:
    """(key_sum mod 2**32) / 2**32, in [0, 1)."""
    return (int(key_sum) % KEY_MODULUS) / KEY_MODULUS


def cell_keys(key_sum: npt.ArrayLike) -> FloatArray:
    return _key_mod(key_sum).astype(np.float64) / KEY_MODULUS


def perturb_counts(
    n: npt.ArrayLike, key_sum: npt.ArrayLike, *, table: PerturbationTable | None = None
) -> IntArray:
    """Released counts n + d, d from the table row of n at the cell key of key_sum."""
    table = table or default_table()
    counts = _counts(n)
    u = cell_keys(key_sum)
    if counts.shape != u.shape:
        raise ValueError("n and key_sum must have the same shape")
    out = counts.copy()
    for row in table.rows:
        sel = counts >= row.n_min if row.n_max is None else counts == row.n_min
        if sel.any():
            idx = np.searchsorted(row.cumulative, u[sel], side="right")
            noise = np.asarray(row.noise, dtype=np.int64)
            out[sel] += noise[np.minimum(idx, len(row.noise) - 1)]
    return out


def perturb_sums(
    s: npt.ArrayLike,
    n: npt.ArrayLike,
    key_sum: npt.ArrayLike,
    *,
    measure: str = "",
    table: PerturbationTable | None = None,
) -> FloatArray:
    """Released sums s + delta*|s|, |delta| < R, delta from the cell's measure stream."""
    table = table or default_table()
    sums = np.asarray(s, dtype=np.float64)
    counts = _counts(n)
    keys = _key_mod(key_sum)
    if not sums.shape == counts.shape == keys.shape:
        raise ValueError("s, n and key_sum must have the same shape")
    if not np.isfinite(sums).all():
        raise ValueError("sums must be finite")
    delta = table.sum_max_relative * (sum_stream(counts, keys, measure=measure).sum(axis=-1) - 1)
    return np.where(counts > 0, sums + delta * np.abs(sums), sums)


def sum_stream(n: npt.ArrayLike, key_sum: npt.ArrayLike, *, measure: str = "") -> FloatArray:
    """Two uniforms in [0, 1) per cell, from SHA-256(measure, n, key_sum mod 2**32): (..., 2)."""
    counts = _counts(n)
    keys = _key_mod(key_sum)
    tag = b"beacon/cellkey-sum/v1\x00" + measure.encode("utf-8") + b"\x00"
    flat = np.empty((counts.size, 2), dtype=np.float64)
    for i, (c, k) in enumerate(zip(counts.ravel().tolist(), keys.ravel().tolist(), strict=True)):
        digest = hashlib.sha256(tag + c.to_bytes(8, "big") + k.to_bytes(4, "big")).digest()
        flat[i, 0] = int.from_bytes(digest[:8], "big") / 2**64
        flat[i, 1] = int.from_bytes(digest[8:16], "big") / 2**64
    return flat.reshape((*counts.shape, 2))


def _counts(n: npt.ArrayLike) -> IntArray:
    arr = np.asarray(n)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise ValueError("counts must be whole numbers")
    elif arr.dtype.kind not in "iub" and arr.size:
        raise ValueError("counts must be integers")
    counts = arr.astype(np.int64)
    if (counts < 0).any():
        raise ValueError("counts must not be negative")
    return counts


def _key_mod(key_sum: npt.ArrayLike) -> npt.NDArray[np.uint64]:
    """key_sum mod 2**32 without overflow: Python ints (DuckDB HUGEINT) or any integer dtype."""
    arr = np.asarray(key_sum)
    if arr.dtype.kind == "O":
        flat = [int(v) % KEY_MODULUS for v in arr.ravel().tolist()]
        return np.asarray(flat, dtype=np.uint64).reshape(arr.shape)
    if arr.dtype.kind not in "iu" and arr.size:
        raise ValueError("key sums must be integers")
    return np.mod(arr.astype(np.int64 if arr.dtype.kind == "i" else np.uint64), KEY_MODULUS).astype(
        np.uint64
    )


def _row(low: int, high: int, variance: float) -> tuple[tuple[int, ...], tuple[float, ...]]:
    support = np.arange(low, high + 1, dtype=np.float64)
    if variance < -low * high:
        prob = _max_entropy(support, variance)
    else:
        mu = (low + high - math.sqrt((high - low) ** 2 - 4 * variance)) / 2
        prob = np.zeros_like(support)
        prob[0], prob[-1] = (high - mu) / (high - low), (mu - low) / (high - low)
    rounded = tuple(round(float(p), _DECIMALS) for p in prob)
    return tuple(int(d) for d in support), rounded


def _max_entropy(support: FloatArray, variance: float) -> FloatArray:
    """p ~ exp(a*d + b*d**2) on the support with mean 0 and E[d**2] = variance."""

    def probs(a: float, b: float) -> FloatArray:
        logits = a * support + b * support**2
        w = np.exp(logits - logits.max())
        return np.asarray(w / w.sum(), dtype=np.float64)

    def a_for(b: float) -> float:
        if support[0] == -support[-1]:
            return 0.0
        return float(brentq(lambda a: float(probs(a, b) @ support), -500, 500, xtol=1e-15))

    def excess(b: float) -> float:
        return float(probs(a_for(b), b) @ support**2) - variance

    b = float(brentq(excess, -60, 60, xtol=1e-15))
    return probs(a_for(b), b)
