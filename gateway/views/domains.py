"""Public dimension domains and ``cells_not_shown``: say how many cells are absent, not why.

Defends against telling "hidden" from "empty" (issue 7, item 4): an answer states only
``cells_not_shown`` = (size of the cross product of the grouped dimensions' *public* domains
within the caller's filters) - (released rows). That number follows from public facts and the
released rows alone, so it is the same whether an absent cell was hidden or empty, and it is
``None`` when a domain is not finite and public (free patterns such as admin1 or H3 cells, a
transformed expression) or when the query names a single cell (no hidden count is ever given
for one filtered cell).

Domains: a category or geo dimension over a contract column with ``allowed`` values (or a
taxonomy) has those values, plus "missing" when the column is optional. Time dimensions span
the release: every year/quarter/month from the release's earliest to its latest period.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from gateway.contracts.registry import ContractRegistry
from gateway.views.model import ViewDefinition

Domain = tuple[str, ...]


@dataclass(frozen=True)
class ViewDomains:
    """For one view: dimension -> its public values (category/geo), or ``None`` if none."""

    values: Mapping[str, Domain | None]
    optional: Mapping[str, bool]

    @classmethod
    def of(cls, view: ViewDefinition, contracts: ContractRegistry | None) -> ViewDomains:
        values: dict[str, Domain | None] = {}
        optional: dict[str, bool] = {}
        contract = contracts.get(view.dataset) if contracts is not None else None
        for name, dim in view.dimensions.items():
            column = contract.column(dim.column) if contract is not None else None
            optional[name] = column is None or not column.required
            plain = dim.sql.strip() == dim.column and dim.kind != "time"
            allowed = column.allowed if column is not None else None
            values[name] = tuple(allowed) if plain and allowed else None
        return cls(values, optional)


def periods(level: str | None, lo: str | None, hi: str | None) -> Domain | None:
    """Every period label of ``level`` from ``lo`` to ``hi`` (labels as the view renders them)."""
    if lo is None or hi is None or level not in ("year", "quarter", "month"):
        return None
    try:
        y0, y1 = int(lo[:4]), int(hi[:4])
    except ValueError:
        return None
    if level == "year":
        return tuple(f"{y:04d}" for y in range(y0, y1 + 1))
    if level == "quarter":
        labels = [f"{y:04d}-Q{q}" for y in range(y0, y1 + 1) for q in range(1, 5)]
    else:
        labels = [f"{y:04d}-{m:02d}" for y in range(y0, y1 + 1) for m in range(1, 13)]
    return tuple(x for x in labels if lo <= x <= hi)


def cells_not_shown(
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    domains: Mapping[str, Domain | None],
    optional: Mapping[str, bool],
    released: int,
) -> int | None:
    """Public cross-product size within the filters minus released rows (None: not public)."""
    if not group_by:
        return None  # one cell: nothing is said about it beyond its (absent) row
    size = 1
    for dim in group_by:
        domain = domains.get(dim)
        wanted = filters.get(dim)
        if wanted is not None:
            chosen = set(wanted)
            size *= len(chosen if domain is None else chosen & set(domain))
        elif domain is None:
            return None
        else:
            size *= len(domain) + (1 if optional.get(dim, True) else 0)
    if size <= 1:
        return None  # a filtered single-cell query
    return max(size - released, 0)
