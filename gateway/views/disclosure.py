"""Disclosure control for aggregate cells: primary + complementary suppression with an audit.

Defends against re-identification through small cells, and against recovering a suppressed
cell by differencing a query against a coarser one (``total(NG) - visible(NG x sector)``) or a
finer one (summing the visible breakdown of a hidden cell). Pure functions over numpy arrays.

The pattern for a set of dimensions is computed over the whole lattice of its sub-queries,
coarse to fine, so it is the same whichever query asks for it:

1. primary: a cell whose count is below ``k`` is hidden (with ``orgs``: counts are of the
   records of organisations other than the caller, and a cell resting on fewer than
   ``min_orgs`` such organisations is hidden too);
2. inheritance: a cell whose parent (the same cell with one dimension dropped) is hidden is
   hidden too, so a finer query never re-publishes a hidden cell as a sum of visible parts;
3. complementary: in every group of cells sharing a published parent, the hidden mass is 0
   or at least ``k`` spread over at least two cells (smallest cells are hidden first);
4. audit: the hidden cells of a level, constrained by every published coarser cell, must not
   pin down any primary cell exactly (linear algebra on the hidden cells); if one is pinned,
   more cells are hidden and steps 3-4 repeat. Connected sets of hidden cells up to
   ``AUDIT_LIMIT`` are solved exactly (SVD of the constraint matrix). Larger ones are decided
   by integer certificates: a hidden cell is proved undetermined by a *box* - 2**s hidden
   cells of its level, two values per dimension, signed (-1)**(sum of picks) - which is an
   exact null vector of every coarser margin, published or not. A cell without a certificate
   is treated as determined (conservative), and widening hides the cheapest corners that
   complete a box around it; so the audit never gives up on a large query.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gateway.views.certificates import Margin, box_certified, complete_boxes

MAX_DIMS = 4  # the lattice has 2**dims levels
AUDIT_LIMIT = 400  # largest connected set of hidden cells solved by SVD (else certificates)

IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Protection:
    """Which input cells to hide, and how many were hidden for which reason."""

    hidden: BoolArray
    primary: int
    complementary: int
    audit_complete: bool


@dataclass
class _Level:
    cell_of_row: IntArray
    counts: FloatArray
    hidden: BoolArray
    known: BoolArray  # visible, or hidden but derivable: usable as a constraint on finer cells
    primary: int = 0


@dataclass(frozen=True)
class _Orgs:
    codes: IntArray  # per input row: the organisation's code, -1 for the caller (or unknown)
    minimum: int


def encode_keys(table: pa.Table, dims: list[str]) -> IntArray:
    """Code each dimension column by the sorted rank of its value (null = 0), rows x dims.

    Codes depend only on the values present, never on row order, so tie-breaks between equal
    cells are the same in every query.
    """
    out = np.zeros((table.num_rows, len(dims)), dtype=np.int64)
    for j, name in enumerate(dims):
        column = table.column(name)
        values = pc.unique(column.drop_null())
        values = values.take(pc.sort_indices(values))
        codes = pc.index_in(column, value_set=values)
        out[:, j] = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False) + 1
    return out


def protect_cells(
    keys: IntArray,
    counts: npt.ArrayLike,
    k: int,
    *,
    orgs: npt.ArrayLike | None = None,
    min_orgs: int = 1,
) -> Protection:
    """Decide which rows of an aggregate to hide.

    Rows are cells (one per distinct ``keys`` row) or, with ``orgs``, (cell, organisation)
    parts: ``counts`` then holds each part's records of *other* organisations (0 for the
    caller's own part) and ``orgs`` their codes (-1 for the caller), and a cell is primary when
    its other-organisation count is below ``k`` or it rests on fewer than ``min_orgs`` of them.
    """
    counts_f = np.asarray(counts, dtype=np.float64)
    org = None if orgs is None else _Orgs(np.asarray(orgs, dtype=np.int64), min_orgs)
    n, m = keys.shape
    if m > MAX_DIMS:
        raise ValueError(f"at most {MAX_DIMS} dimensions per query")
    if n == 0:
        return Protection(np.zeros(0, dtype=bool), 0, 0, True)
    levels: dict[tuple[int, ...], _Level] = {}
    complete = True
    for size in range(m + 1):
        for cols in combinations(range(m), size):
            levels[cols], level_complete = _protect_level(keys, counts_f, k, cols, levels, org)
            complete = complete and level_complete
    finest = levels[tuple(range(m))]
    hidden = finest.hidden[finest.cell_of_row]
    n_hidden = int(np.count_nonzero(finest.hidden))
    return Protection(hidden, finest.primary, n_hidden - finest.primary, complete)


def _protect_level(
    keys: IntArray,
    counts: FloatArray,
    k: int,
    cols: tuple[int, ...],
    done: dict[tuple[int, ...], _Level],
    orgs: _Orgs | None = None,
) -> tuple[_Level, bool]:
    cell_of_row, n_cells = _cells(keys, cols)
    cell_counts: FloatArray = np.bincount(cell_of_row, weights=counts, minlength=n_cells).astype(
        np.float64
    )
    primary = cell_counts < k
    if orgs is not None:
        primary |= _distinct_orgs(cell_of_row, n_cells, orgs.codes) < orgs.minimum
    codes = np.zeros((n_cells, len(cols)), dtype=np.int64)
    codes[cell_of_row] = keys[:, list(cols)]
    hidden = primary.copy()
    parents: list[tuple[_Level, IntArray]] = []
    coarser: list[tuple[_Level, IntArray]] = []
    margins: list[Margin] = []
    for size in range(len(cols)):
        for sub in combinations(cols, size):
            level = done[sub]
            mapping = np.empty(n_cells, dtype=np.int64)
            mapping[cell_of_row] = level.cell_of_row
            if size == len(cols) - 1:
                parents.append((level, mapping))
                hidden |= level.hidden[mapping]
                coarser.append((level, mapping))
            else:
                coarser.append((_irredundant(level, sub, cols, done), mapping))
            where = tuple(cols.index(c) for c in sub)
            margins.append(Margin(where, coarser[-1][0].known, mapping))
    while True:
        _complement(hidden, cell_counts, parents, k)
        determined, uncertain = _audit(hidden, coarser, codes, margins)
        pinned = determined & primary
        if not pinned.any():
            break
        widened = _widen(hidden, cell_counts, np.flatnonzero(pinned & ~uncertain), coarser)
        boxed = complete_boxes(hidden, cell_counts, codes, np.flatnonzero(pinned & uncertain))
        if not (widened or boxed):
            break
    complete = not pinned.any()
    level = _Level(cell_of_row, cell_counts, hidden, ~hidden | determined)
    level.primary = int(np.count_nonzero(primary))
    return level, complete


def _distinct_orgs(cell_of_row: IntArray, n_cells: int, codes: IntArray) -> IntArray:
    """Per cell, how many distinct organisations (codes >= 0) have rows in it."""
    mine = codes >= 0
    if not mine.any():
        return np.zeros(n_cells, dtype=np.int64)
    width = int(codes.max()) + 1
    pairs = np.unique(cell_of_row[mine] * width + codes[mine])
    return np.bincount(pairs // width, minlength=n_cells).astype(np.int64)


def _irredundant(
    level: _Level, sub: tuple[int, ...], cols: tuple[int, ...], done: dict[tuple[int, ...], _Level]
) -> _Level:
    """``level`` with ``known`` narrowed to cells that are not a sum of known finer cells.

    A known coarse cell whose children at some intermediate level are all known adds no
    constraint the children do not already give; dropping it keeps the audit's linear systems
    small (the grand total would otherwise tie every hidden cell into one system).
    """
    known = level.known.copy()
    for extra in cols:
        if extra in sub:
            continue
        finer = done[tuple(sorted((*sub, extra)))]
        mapping = np.empty(finer.counts.size, dtype=np.int64)
        mapping[finer.cell_of_row] = level.cell_of_row
        unknown_children = np.bincount(mapping, weights=~finer.known, minlength=known.size)
        known &= unknown_children > 0
    return _Level(level.cell_of_row, level.counts, level.hidden, known)


def _cells(keys: IntArray, cols: tuple[int, ...]) -> tuple[IntArray, int]:
    """Map each row to its cell at the level that keeps only ``cols`` (cells sorted by key)."""
    if not cols:
        return np.zeros(keys.shape[0], dtype=np.int64), 1
    sub = keys[:, list(cols)]
    radix = sub.max(axis=0) + 1
    if float(np.prod(radix.astype(np.float64))) < 2**62:
        combined = np.zeros(keys.shape[0], dtype=np.int64)
        for j in range(sub.shape[1]):
            combined = combined * radix[j] + sub[:, j]
        _, inverse = np.unique(combined, return_inverse=True)
    else:
        _, inverse = np.unique(sub, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1).astype(np.int64)
    return inverse, int(inverse.max()) + 1


def _complement(
    hidden: BoolArray, counts: FloatArray, parents: list[tuple[_Level, IntArray]], k: int
) -> None:
    """Hide more cells until each published parent's hidden mass is 0 or >= k over >= 2 cells."""
    changed = True
    while changed:
        changed = False
        for parent, mapping in parents:
            size = parent.counts.size
            mass = np.bincount(mapping, weights=counts * hidden, minlength=size)
            n_hidden = np.bincount(mapping, weights=hidden, minlength=size)
            n_visible = np.bincount(mapping, weights=~hidden, minlength=size)
            weak = (n_hidden > 0) & ((mass < k) | (n_hidden < 2)) & (n_visible > 0)
            need = parent.known & weak
            candidates = np.flatnonzero(~hidden & need[mapping])
            if candidates.size == 0:
                continue
            order = candidates[np.lexsort((candidates, counts[candidates], mapping[candidates]))]
            _, first = np.unique(mapping[order], return_index=True)
            hidden[order[first]] = True
            changed = True


def _audit(
    hidden: BoolArray,
    coarser: list[tuple[_Level, IntArray]],
    codes: IntArray,
    margins: list[Margin],
) -> tuple[BoolArray, BoolArray]:
    """Hidden cells whose exact value may follow from the published coarser cells.

    Returns ``(determined, uncertain)``: ``uncertain`` marks cells of large systems that have
    no box certificate (counted as determined, to be widened by completing a box).
    """
    determined = np.zeros(hidden.size, dtype=bool)
    uncertain = np.zeros(hidden.size, dtype=bool)
    unknown = np.flatnonzero(hidden)
    if unknown.size == 0:
        return determined, uncertain
    rows: list[IntArray] = []
    cols: list[IntArray] = []
    offset = 0
    for level, mapping in coarser:
        coarse = mapping[unknown]
        usable = level.known[coarse]
        rows.append(coarse[usable] + offset)
        cols.append(np.flatnonzero(usable))
        offset += level.counts.size
    row = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    col = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    if row.size == 0:
        return determined, uncertain
    _, row = np.unique(row, return_inverse=True)
    row = row.reshape(-1)
    n_rows = int(row.max()) + 1
    matrix = coo_matrix((np.ones(row.size), (row, col)), shape=(n_rows, unknown.size)).tocsc()
    # Hidden cells linked through a shared published cell form one system: the components of
    # the bipartite cell/constraint graph (cheaper than forming M^T M).
    edges = coo_matrix(
        (np.ones(row.size), (col, unknown.size + row)),
        shape=(unknown.size + n_rows, unknown.size + n_rows),
    )
    _, labels = connected_components(edges, directed=False)
    component = labels[: unknown.size]
    constrained = np.zeros(unknown.size, dtype=bool)
    constrained[col] = True
    for label in np.unique(component[constrained]):
        members = np.flatnonzero(component == label)
        if members.size > AUDIT_LIMIT:
            proved = box_certified(unknown[members], hidden, codes, margins)
            determined[unknown[members[~proved]]] = True
            uncertain[unknown[members[~proved]]] = True
            continue
        sub = matrix[:, members].toarray()
        sub = sub[sub.any(axis=1)]
        _, singular, vt = np.linalg.svd(sub)
        rank = int(np.count_nonzero(singular > 1e-9 * max(1.0, float(singular[0]))))
        null = vt[rank:]
        pinned = np.all(np.abs(null) < 1e-9, axis=0) if null.size else np.ones(members.size, bool)
        determined[unknown[members[pinned]]] = True
    return determined, uncertain


def _widen(
    hidden: BoolArray, counts: FloatArray, pinned: IntArray, coarser: list[tuple[_Level, IntArray]]
) -> bool:
    """Hide, for each pinned cell, the smallest visible cell sharing a published coarser cell."""
    changed = False
    for cell in pinned:
        # Nearest levels first: a sibling under the same parent breaks the pin most directly.
        for level, mapping in reversed(coarser):
            if not level.known[mapping[cell]]:
                continue
            siblings = np.flatnonzero((mapping == mapping[cell]) & ~hidden)
            if siblings.size:
                best = siblings[np.lexsort((siblings, counts[siblings]))[0]]
                hidden[best] = True
                changed = True
                break
    return changed
