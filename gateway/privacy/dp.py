"""Differential privacy for counts and sums (OpenDP): noisy values, their ε and a 95 % interval.

Defends against every attack that combines answers (differencing, averaging, reconstruction):
whatever a partner asks, the answers' joint distribution changes by at most a factor e**ε when
one entity is added or removed, and the ε of every answer is debited from a budget elsewhere.

Privacy unit: one entity (the contract's entity key, e.g. a report id) contributes to at most
one cell of a query, once. The gateway makes that true: entity keys are unique across the whole
dataset (a duplicate is quarantined at ingest) and a view's cells partition the records. So a
vector of cell counts has L1 sensitivity 1, and a vector of cell sums whose per-entity values
were clipped to ``[0, bound]`` *before* summing (see :func:`clip_contributions`) has L1
sensitivity ``bound``. Cells of one vector are disjoint (parallel composition: no extra cost);
the count vector and each sum vector are separate releases (sequential composition: their ε
add, see :func:`query_cost`).

Mechanisms: integer counts and integer sums get OpenDP's discrete Laplace (exact sampling, no
floating-point leak) with scale ``sensitivity / ε``; float sums get OpenDP's Laplace on floats.
The scale is checked against OpenDP's own privacy map (``map(d_in) <= ε``), and the interval
half-width comes from OpenDP's accuracy helpers (``discrete_laplacian_scale_to_accuracy``,
``laplacian_scale_to_accuracy``) at alpha = 0.05: each released value is within
``half_width`` of the true value with probability >= 95 %.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import opendp.prelude as dp

CONFIDENCE = 0.95
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DPRelease:
    """Noisy values, the ε they spent, and the 95 % half-width of each value's interval."""

    values: npt.NDArray[Any]
    epsilon: float
    scale: float
    half_width: float
    mechanism: str
    confidence: float = CONFIDENCE


def dp_counts(
    counts: npt.ArrayLike, epsilon: float, *, rng: np.random.Generator | None = None
) -> DPRelease:
    """Discrete Laplace on a vector of cell counts (sensitivity 1).

    ``rng`` draws from the same distribution with numpy, for reproducible benchmarks only; the
    gateway never passes one (numpy's generator is not a cryptographic source).
    """
    values = _integers(counts, "counts")
    return _release(values, epsilon, sensitivity=1, integer=True, rng=rng)


def dp_sums(
    sums: npt.ArrayLike,
    epsilon: float,
    bound: float,
    *,
    rng: np.random.Generator | None = None,
) -> DPRelease:
    """Laplace on a vector of cell sums of per-entity values clipped to [0, bound]."""
    if not (math.isfinite(bound) and bound > 0):
        raise ValueError("bound must be a positive number")
    arr = np.asarray(sums)
    integer = arr.dtype.kind in "iu" and float(bound).is_integer()
    values = _integers(arr, "sums") if integer else np.asarray(arr, dtype=np.float64)
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("sums of clipped contributions are finite and not negative")
    return _release(values, epsilon, sensitivity=bound, integer=integer, rng=rng)


def clip_contributions(values: npt.ArrayLike, bound: float) -> FloatArray:
    """Each entity's value clipped to [0, bound] (NaN counts as 0), before it is summed."""
    arr = np.nan_to_num(np.asarray(values, dtype=np.float64), nan=0.0)
    return np.clip(arr, 0.0, bound)


def query_cost(
    *,
    count_epsilon: float | None = None,
    sum_epsilons: Sequence[float] = (),
    sum_bounds: Sequence[float] | None = None,
) -> float:
    """The ε a planned query spends: the count vector's plus each sum vector's (composition).

    Each part's ε is what its calibrated OpenDP mechanism actually spends, i.e. the
    ``epsilon`` that :func:`dp_counts` / :func:`dp_sums` would report.
    """
    bounds = list(sum_bounds) if sum_bounds is not None else [1.0] * len(sum_epsilons)
    if len(bounds) != len(sum_epsilons):
        raise ValueError("one bound per sum")
    parts: list[float] = []
    if count_epsilon is not None:
        parts.append(_calibrate(count_epsilon, 1, integer=True)[1])
    for eps, bound in zip(sum_epsilons, bounds, strict=True):
        parts.append(_calibrate(eps, bound, integer=float(bound).is_integer())[1])
    return math.fsum(parts)


def _release(
    values: npt.NDArray[Any],
    epsilon: float,
    *,
    sensitivity: float,
    integer: bool,
    rng: np.random.Generator | None,
) -> DPRelease:
    scale, spent = _calibrate(epsilon, sensitivity, integer=integer)
    noisy: npt.NDArray[Any]
    if integer:
        noisy = _draw_integer(values, scale, rng)
        half = float(math.floor(dp.discrete_laplacian_scale_to_accuracy(scale, 1 - CONFIDENCE)))
        mechanism = "discrete_laplace"
    else:
        noisy = _draw_float(values, scale, rng)
        half = float(dp.laplacian_scale_to_accuracy(scale, 1 - CONFIDENCE))
        mechanism = "laplace"
    return DPRelease(noisy, spent, scale, half, mechanism)


def _calibrate(epsilon: float, sensitivity: float, *, integer: bool) -> tuple[float, float]:
    """The smallest scale (from sensitivity/ε up) whose OpenDP privacy map is <= ε."""
    if not (math.isfinite(epsilon) and epsilon > 0):
        raise ValueError("epsilon must be a positive number")
    scale = sensitivity / epsilon
    for _ in range(64):
        spent = float(
            _measurement(scale, integer).map(int(sensitivity) if integer else sensitivity)
        )
        if spent <= epsilon:
            return scale, spent
        scale = math.nextafter(scale, math.inf) * (1 + 1e-12)
    raise ValueError("cannot calibrate the mechanism to this epsilon")  # pragma: no cover


def _measurement(scale: float, integer: bool) -> Any:
    dp.enable_features("contrib")
    if integer:
        space = dp.vector_domain(dp.atom_domain(T="i64")), dp.l1_distance(T="i64")
    else:
        space = dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)
    return dp.m.make_laplace(*space, scale=scale)


def _draw_integer(
    values: npt.NDArray[np.int64], scale: float, rng: np.random.Generator | None
) -> npt.NDArray[np.int64]:
    if values.size == 0:
        return values.copy()
    if rng is None:
        noisy = _measurement(scale, True)(values.ravel().tolist())
        return np.asarray(noisy, dtype=np.int64).reshape(values.shape)
    # discrete Laplace = difference of two geometric variables on {0, 1, ...}
    p = -math.expm1(-1 / scale)
    g = rng.geometric(p, size=(2, *values.shape)) - 1
    return np.asarray(values + g[0] - g[1], dtype=np.int64)


def _draw_float(values: FloatArray, scale: float, rng: np.random.Generator | None) -> FloatArray:
    if values.size == 0:
        return values.copy()
    if rng is None:
        noisy = _measurement(scale, False)(values.ravel().tolist())
        return np.asarray(noisy, dtype=np.float64).reshape(values.shape)
    return np.asarray(values + rng.laplace(0.0, scale, size=values.shape), dtype=np.float64)


def _integers(values: npt.ArrayLike, name: str) -> npt.NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.dtype.kind == "f" and (~np.isfinite(arr) | (arr != np.round(arr))).any():
        raise ValueError(f"{name} must be whole numbers")
    if arr.dtype.kind not in "iuf" and arr.size:
        raise ValueError(f"{name} must be numbers")
    out = arr.astype(np.int64)
    if (out < 0).any():
        raise ValueError(f"{name} must not be negative")
    return out
