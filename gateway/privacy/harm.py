"""Harm-aware outputs: the record filter every view query applies before it aggregates.

Defends against outputs that single out a shelter, safe house, hotline or active investigation
area, and against outputs that tip traffickers off about fresh reports near them.

1. Harm tags. Records in a harm-tagged place (``data.beacon.harm`` places: admin1 codes and
   H3 cells per reason) or with a harm-tagged category value (a contract column's ``harmful``
   values, plus ``data.beacon.harm`` categories) are dropped for EVERY caller, in every mode,
   before aggregation. They are not hidden cells but absent records: totals, margins and
   every coarser cell exclude them too, so no total-minus-visible differencing can recover
   them at any resolution. Published totals are therefore totals of untagged records only.
   An H3 tag finer than the stored cells drops the whole stored cell that contains it; a
   coarser tag drops every stored cell inside it; an admin1 tag drops the whole subdivision.
2. Embargo (role-dependent, from the obligations ``embargo: {days, dims}``). When the query
   touches one of ``embargo.dims`` (grouped by, filtered on, or row-filtered by the grant)
   and ``days`` is set, records whose event date is within the last ``days`` days of ``now``
   (or later, or unknown) are dropped. The event date is the contract column the view's
   time dimensions read (e.g. ``occurred_on``), falling back to ``received_at`` where it is
   null or the view has no time dimension. What a caller can still learn: fresh records
   count in queries over coarse dimensions only (e.g. the country-level count of reports
   from the last 30 days, by differencing a country total against its admin1 breakdown),
   never where inside the country they are.

Every value is a bound parameter: each predicate has exactly one ``?``, bound to its list of
strings as ``VARCHAR[]``; column names are validated identifiers and are quoted anyway.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import h3

from gateway.privacy.errors import EmbargoUnenforceableError

if TYPE_CHECKING:
    from gateway.contracts.model import ColumnSpec, Contract
    from gateway.harm.documents import HarmDocument
    from gateway.policy.contract import Obligations
    from gateway.views.model import ViewDefinition

Predicate = tuple[str, list[str]]
_H3_RESOLUTION_IN_PATTERN = re.compile(r"^\^8([0-9a-f])")
FALLBACK_DATE_COLUMN = "received_at"


def base_filter(
    view: ViewDefinition,
    contract: Contract,
    obligations: Obligations,
    *,
    now: dt.datetime,
    dims: Sequence[str],
    harm: HarmDocument,
) -> list[Predicate]:
    """Predicates (AND them) over ``view``'s source columns that keep only showable records.

    ``dims``: every dimension the query touches (group_by and filter keys); the grant's
    ``row_filter`` keys are added here. ``now`` must be timezone-aware.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    out = _place_predicates(contract, harm)
    categories = dict(contract.harmful_values)
    for column, values in harm.category_values(contract.dataset).items():
        categories[column] = tuple(sorted({*categories.get(column, ()), *values}))
    out += [_not_in(column, list(values)) for column, values in sorted(categories.items())]
    out += _embargo_predicates(view, contract, obligations, now=now, dims=dims)
    return out


def _place_predicates(contract: Contract, harm: HarmDocument) -> list[Predicate]:
    out: list[Predicate] = []
    admin1, cells = harm.admin1_codes(), harm.h3_cells()
    for col in contract.columns:
        level = col.rungs.geo if col.rungs is not None else None
        if level == "admin1" and admin1:
            out.append(_not_in(col.name, list(admin1)))
        elif level == "h3_cell" and cells:
            out.append(_not_in(col.name, _stored_cells(cells, _h3_resolution(col))))
    return out


def _stored_cells(tagged: Sequence[str], resolution: int | None) -> list[str]:
    """The stored cells a tag covers: its parent or children at the stored resolution."""
    out: set[str] = set()
    for cell in tagged:
        res = h3.get_resolution(cell)
        if resolution is None:  # unknown stored resolution: the cell and every ancestor
            out.add(cell)
            out.update(h3.cell_to_parent(cell, r) for r in range(res))
        elif res >= resolution:
            out.add(h3.cell_to_parent(cell, resolution) if res > resolution else cell)
        else:
            out.update(h3.cell_to_children(cell, resolution))
    return sorted(out)


def _h3_resolution(col: ColumnSpec) -> int | None:
    """The stored resolution, when the contract pins it in the pattern (``^87…``: 7)."""
    match = _H3_RESOLUTION_IN_PATTERN.match(col.pattern or "")
    return int(match.group(1), 16) if match else None


def _embargo_predicates(
    view: ViewDefinition,
    contract: Contract,
    obligations: Obligations,
    *,
    now: dt.datetime,
    dims: Sequence[str],
) -> list[Predicate]:
    days, embargoed = obligations.embargo.days, set(obligations.embargo.dims)
    touched = {*dims, *obligations.row_filter}
    if days is None or not embargoed & touched:
        return []
    columns = sorted({d.column for d in view.dimensions.values() if d.kind == "time"})
    fallback = FALLBACK_DATE_COLUMN if FALLBACK_DATE_COLUMN in contract.column_names else None
    if not columns and fallback is not None:
        columns = [fallback]
    if not columns:
        raise EmbargoUnenforceableError(
            f"view {view.name} has no time dimension and {contract.dataset} no {fallback}"
        )
    cutoff = (now.astimezone(dt.UTC).date() - dt.timedelta(days=days)).isoformat()
    out: list[Predicate] = []
    for name in columns:  # fresh by any date the view shows: dropped
        date = _as_date(contract.column(name))
        if fallback is not None and name != fallback:
            date = f"coalesce({date}, {_as_date(contract.column(fallback))})"
        # Unknown dates count as fresh (coalesce to false): fail closed.
        out.append((f"coalesce({date} < CAST((?::VARCHAR[])[1] AS DATE), false)", [cutoff]))
    return out


def _as_date(col: ColumnSpec) -> str:
    if col.type == "timestamp":  # stored as UTC instants: the UTC calendar day
        return f"CAST(timezone('UTC', {_quote(col.name)}) AS DATE)"
    if col.type == "date":
        return _quote(col.name)
    raise EmbargoUnenforceableError(f"column {col.name} is not a date or timestamp")


def _not_in(column: str, values: list[str]) -> Predicate:
    return (
        f"NOT coalesce(CAST({_quote(column)} AS VARCHAR) IN (SELECT unnest(?::VARCHAR[])), false)",
        values,
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def harm_filter(source: Callable[[], HarmDocument]) -> Callable[..., list[Predicate]]:
    """``base_filter`` bound to the current harm document (the views service's base hook)."""

    def _filter(
        view: ViewDefinition,
        contract: Contract,
        obligations: Obligations,
        *,
        now: dt.datetime,
        dims: Sequence[str],
    ) -> list[Predicate]:
        return base_filter(view, contract, obligations, now=now, dims=dims, harm=source())

    return _filter
