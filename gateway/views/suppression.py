"""Suppression-mode answers: exact values, primary + complementary suppression, exact audit.

Defends against small-cell disclosure and differencing (see ``disclosure``) for grants that
choose ``mode: suppression``. Primary suppression counts only the records of organisations
other than the caller (``k``) and needs at least ``P`` such organisations per cell, so own
rows never help a cell pass; the pattern is computed over the whole lattice of the queried
dimensions (caller filters are applied after protection), so it does not depend on wording.
Sums failing the dominance rule are withheld while their cells' counts stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import structlog

from gateway.policy.contract import Obligations
from gateway.views.answer import dominance_ok
from gateway.views.disclosure import encode_keys, protect_cells
from gateway.views.repository import HIDDEN, ORG, Predicate

if TYPE_CHECKING:
    import pyarrow.dataset as pads

    from gateway.views.model import ViewDefinition
    from gateway.views.repository import QueryEngine

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class SuppressedAnswer:
    table: pa.Table
    hidden: int
    sums_withheld: int
    audit_complete: bool


def suppressed_answer(
    engine: QueryEngine,
    source: pads.Dataset | pa.Table,
    view: ViewDefinition,
    *,
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    obligations: Obligations,
    k: int,
    caller: str,
    cells: pa.Table,
    measures: Sequence[str],
    summed: Mapping[str, str],
    base_filter: Sequence[Predicate] = (),
) -> SuppressedAnswer:
    """Protect the lattice of ``group_by`` + filtered dims, roll up, withhold dominated sums."""
    dims = list(dict.fromkeys([*group_by, *filters]))
    cube = engine.cube(
        source, view, dims, obligations.row_filter, by_org=True, base_filter=base_filter
    )
    orgs = cube.column(ORG)
    others = pc.fill_null(pc.not_equal(orgs, pa.scalar(caller)), False)
    codes = pc.index_in(orgs, value_set=pc.unique(orgs.drop_null()))
    codes_np = pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    others_np = others.to_numpy(zero_copy_only=False).astype(bool)
    counts = cube.column(view.count_measure).to_numpy(zero_copy_only=False)
    protection = protect_cells(
        encode_keys(cube, dims),
        np.where(others_np, counts, 0),
        k,
        orgs=np.where(others_np, codes_np, -1),
        min_orgs=obligations.min_contributors,
    )
    if not protection.audit_complete:
        log.warning("views.audit_incomplete", view=view.name, dims=dims)
    cube = cube.drop_columns([ORG]).append_column(HIDDEN, pa.array(protection.hidden, pa.bool_()))
    out = engine.roll_up(cube, group_by, measures, filters)
    hidden = pc.fill_null(out.column(HIDDEN), True).to_numpy(zero_copy_only=False).astype(bool)
    _check_aligned(out, cells, group_by)
    shown = np.flatnonzero(~hidden)
    table = out.drop_columns([HIDDEN]).take(pa.array(shown, pa.int64()))
    withheld = np.zeros(shown.size, dtype=bool)
    for name in summed:
        ok = dominance_ok(cells, name, shown, obligations.dominance)
        column = table.column(name).to_numpy(zero_copy_only=False)
        masked = pa.array(column.astype(np.int64), pa.int64(), mask=~ok)
        table = table.set_column(table.schema.get_field_index(name), name, masked)
        withheld |= ~ok
    return SuppressedAnswer(
        table, int(hidden.sum()), int(withheld.sum()), protection.audit_complete
    )


def _check_aligned(out: pa.Table, cells: pa.Table, group_by: Sequence[str]) -> None:
    """The roll-up and the direct cells cover the same record sets, in the same order."""
    same = out.num_rows == cells.num_rows and all(
        out.column(d).equals(cells.column(d)) for d in group_by
    )
    if not same:
        raise RuntimeError("suppression roll-up and direct cells disagree")
