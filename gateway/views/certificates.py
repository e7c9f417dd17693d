"""Integer certificates for the differencing audit of large systems of hidden cells.

Defends against recovering a suppressed cell from the published margins when the system of
hidden cells is too large for dense linear algebra. A *box* around a cell at a level with
``s`` dimensions picks a second value in every dimension; its ``2**s`` corners, signed
``(-1)**(number of second values)``, sum to zero over every coarser cell (any margin that drops
a dimension pairs each corner with one of opposite sign). If all corners are hidden cells, the
box is a null vector of the attacker's equations, so each corner can change while every
published value stays the same: the cell is provably not determined. Cells without such a
certificate are treated as determined, and ``complete_boxes`` hides the cheapest visible
corners that complete a box around them. Deterministic (fixed seeds): the same data gives the
same pattern in every query.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]

BOX_TRIES = 48  # random boxes tried per uncertified cell before the exhaustive search
BOX_SEARCH_LIMIT = 200_000  # largest number of boxes enumerated for one cell
EXHAUSTIVE_CELLS = 2_000  # cells searched exhaustively after the random tries (others: pinned)


@dataclass(frozen=True)
class Margin:
    """A coarser level as the audit sees it: the dimensions it keeps (positions in the level's
    dimensions), which of its cells are published constraints, and cell -> margin cell."""

    dims: tuple[int, ...]
    known: BoolArray
    mapping: IntArray


class _Lookup:
    """Cell index by its code tuple at one level (-1 where no such cell exists)."""

    def __init__(self, codes: IntArray) -> None:
        self.radix = codes.max(axis=0) + 1 if codes.size else np.ones(codes.shape[1], np.int64)
        flat = self.flat(codes)
        self.order = np.argsort(flat, kind="stable")
        self.sorted = flat[self.order]

    def flat(self, codes: IntArray) -> IntArray:
        out = np.zeros(codes.shape[0], dtype=np.int64)
        for j in range(codes.shape[1]):
            out = out * self.radix[j] + codes[:, j]
        return out

    def find(self, codes: IntArray) -> IntArray:
        flat = self.flat(codes)
        pos = np.clip(np.searchsorted(self.sorted, flat), 0, max(self.sorted.size - 1, 0))
        found = self.sorted.size > 0
        hit = found & (self.sorted[pos] == flat) if found else np.zeros(flat.size, bool)
        return np.where(hit, self.order[pos], -1)


def box_certified(
    cells: IntArray, hidden: BoolArray, codes: IntArray, margins: Sequence[Margin]
) -> BoolArray:
    """Which ``cells`` lie in a (sub-)box of hidden cells: an exact integer null vector.

    A box over a subset ``S`` of the level's dimensions is a null vector of every margin that
    drops a dimension of ``S``; a margin keeping all of ``S`` puts each corner in a cell of
    its own, so the box is valid only where those margin cells are not published (``known``).
    Small subsets are tried first (they need fewer hidden corners).
    """
    proved = np.zeros(cells.size, dtype=bool)
    s = codes.shape[1]
    if s == 0 or cells.size == 0:
        return proved
    lookup = _Lookup(codes)
    rng = np.random.default_rng(0x5EED)  # deterministic: the same pattern for the same data
    values = [np.unique(codes[:, j]) for j in range(s)]
    subsets = [c for size in range(1, s + 1) for c in combinations(range(s), size)]
    todo = np.arange(cells.size)
    for subset in subsets:
        blocking = [m for m in margins if set(subset) <= set(m.dims)]
        full = len(subset) == s  # no margin keeps every dimension: empty corners allowed
        for _ in range(BOX_TRIES):
            if todo.size == 0:
                return proved
            base = codes[cells[todo]]
            other = base.copy()
            for j in subset:
                other[:, j] = rng.choice(values[j], size=todo.size)
            ok = np.all(other[:, list(subset)] != base[:, list(subset)], axis=1)
            signs = _SignClasses(todo.size)
            for parity, corner in _signed_corners(base, other, subset):
                idx = lookup.find(corner)
                safe = np.maximum(idx, 0)
                present = idx >= 0
                ok &= (hidden[safe] & present) | (full & ~present)
                signs.add(parity, present)
                for m in blocking:
                    ok &= present & ~m.known[m.mapping[safe]]
            ok &= signs.movable()
            proved[todo[ok]] = True
            todo = todo[~ok]
    for i in todo[:EXHAUSTIVE_CELLS]:  # the few left: search every full box
        proved[i] = _best_box(codes[cells[i]], codes, lookup, values, hidden, None) is not None
    return proved


class _SignClasses:
    """Whether all corners of one sign exist (non-negativity: an empty corner holds 0, so the
    box can move only in the direction that lowers the corners of the sign class all present)."""

    def __init__(self, n: int) -> None:
        self.all_present = [np.ones(n, dtype=bool), np.ones(n, dtype=bool)]

    def add(self, parity: int, present: BoolArray) -> None:
        self.all_present[parity] &= present

    def movable(self) -> BoolArray:
        return self.all_present[0] | self.all_present[1]


def _signed_corners(
    base: IntArray, other: IntArray, subset: Sequence[int]
) -> list[tuple[int, IntArray]]:
    """(sign parity, corner codes) of every corner, the base cell included (parity 0)."""
    dims = list(subset)
    out = []
    for mask in range(2 ** len(dims)):
        pick = np.zeros(base.shape[1], dtype=bool)
        for bit, j in enumerate(dims):
            pick[j] = bool((mask >> bit) & 1)
        out.append((bin(mask).count("1") % 2, np.where(pick, other, base)))
    return out


def _best_box(
    base: IntArray,
    codes: IntArray,
    lookup: _Lookup,
    values: list[IntArray],
    hidden: BoolArray,
    counts: FloatArray | None,
) -> IntArray | None:
    """Corners of a box around ``base`` whose corners all exist: all hidden already
    (``counts`` None), or, with ``counts``, the one whose visible corners hold the least."""
    choices = [v[v != base[j]] for j, v in enumerate(values)]
    total = int(np.prod([c.size for c in choices], dtype=np.float64))
    if total == 0:
        return None
    if total > BOX_SEARCH_LIMIT:
        rng = np.random.default_rng(0xB0C5)
        other = np.stack([rng.choice(c, size=BOX_SEARCH_LIMIT) for c in choices], axis=1)
    else:
        grids = np.meshgrid(*choices, indexing="ij")
        other = np.stack([g.ravel() for g in grids], axis=1)
    base_rows = np.broadcast_to(base, other.shape)
    ok = np.ones(other.shape[0], dtype=bool)
    cost = np.zeros(other.shape[0], dtype=np.float64)
    signs = _SignClasses(other.shape[0])
    found = []
    for parity, corner in _signed_corners(base_rows, other, range(base.size))[1:]:
        idx = lookup.find(corner)
        present = idx >= 0
        safe = np.maximum(idx, 0)
        signs.add(parity, present)
        if counts is None:
            ok &= hidden[safe] | ~present
        else:
            cost += np.where(hidden[safe] | ~present, 0.0, counts[safe] + 1e-3)
        found.append(np.where(present, idx, -1))
    ok &= signs.movable()
    if not ok.any():
        return None
    best = int(np.flatnonzero(ok)[np.argmin(cost[ok])])
    corners = np.array([f[best] for f in found], dtype=np.int64)
    return corners[corners >= 0]


def complete_boxes(
    hidden: BoolArray, counts: FloatArray, codes: IntArray, pinned: IntArray
) -> bool:
    """Hide the cheapest visible corners of a box around each uncertified pinned cell."""
    if pinned.size == 0 or codes.shape[1] == 0:
        return False
    lookup = _Lookup(codes)
    values = [np.unique(codes[:, j]) for j in range(codes.shape[1])]
    changed = False
    for cell in pinned:
        corners = _best_box(codes[cell], codes, lookup, values, hidden, counts)
        if corners is None:
            continue
        newly = corners[~hidden[corners]]
        if newly.size:
            hidden[newly] = True
            changed = True
    return changed
