"""What a view query may ask: dimensions, obligations the gateway can enforce, reason codes.

Defends against fail-open on the unknown: a dimension outside the grant's columns or beyond its
geography/time rung, a row filter on a column the view lacks, or a DP obligation this build
cannot enforce is refused with a stable reason code (and only such codes leave the gateway).
Defends against probing a view's shape: a query naming a dimension the view lacks is put to the
policy first (without that name), so a caller without a grant gets the same 403 as any other
query, and the ``unknown-dimension`` 400 lists only the dimensions the caller's grant permits.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from gateway.policy.port import Obligations, PolicyInput, Resource
from gateway.views.disclosure import MAX_DIMS
from gateway.views.errors import InvalidViewQueryError, UnknownDimensionError
from gateway.views.model import GEO_LEVELS, TIME_LEVELS, ViewDefinition

if TYPE_CHECKING:
    from gateway.auth.principal import Principal

_REASON_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}(:[a-z0-9_]{1,64})?$")


def policy_input(
    principal: Principal,
    action: str,
    view: ViewDefinition,
    dims: Sequence[str] = (),
    filters: Mapping[str, Sequence[str]] | None = None,
) -> PolicyInput:
    return PolicyInput(
        subject=principal.policy_subject(),
        action=action,
        resource=Resource(
            dataset=view.dataset,
            view=view.name,
            dims=tuple(dims),
            filters={k: tuple(v) for k, v in (filters or {}).items()},
        ),
    )


def split_dims(
    view: ViewDefinition, group_by: Sequence[str], filters: Mapping[str, Sequence[str]]
) -> tuple[list[str], list[str]]:
    """The query's dimensions the view has, and those it lacks (refused after the decision)."""
    dims = list(dict.fromkeys([*group_by, *filters]))
    if len(dims) > MAX_DIMS:
        raise InvalidViewQueryError(f"at most {MAX_DIMS} dimensions (group_by + filters)")
    return [d for d in dims if d in view.dimensions], [d for d in dims if d not in view.dimensions]


def unknown_dimension(
    view: ViewDefinition, name: str, obligations: Obligations
) -> UnknownDimensionError:
    """The 400 for a granted view: it names only the dimensions this grant permits."""
    permitted = sorted(d for d in view.dimensions if _dim_ok(view, d, obligations))
    return UnknownDimensionError(
        f"view {view.name} has no dimension {name[:64]!r}", dimensions=permitted
    )


def obligation_denials(
    view: ViewDefinition, dims: Sequence[str], obligations: Obligations
) -> tuple[str, ...]:
    """What the obligations forbid even though the policy allowed (fail closed on the unknown)."""
    reasons = [f"dimension_not_permitted:{d}" for d in dims if not _dim_ok(view, d, obligations)]
    if any(key not in view.dimensions for key in obligations.row_filter):
        reasons.append("obligation_unenforceable:row_filter")
    if (obligations.mode == "dp") != (obligations.dp_epsilon is not None):  # dp: answer_dp
        reasons.append("obligation_unenforceable:dp")
    return tuple(reasons)


def _dim_ok(view: ViewDefinition, name: str, obligations: Obligations) -> bool:
    if name not in obligations.columns or name in obligations.suppressed_columns:
        return False
    dim = view.dimensions[name]
    limit = {"geo": obligations.geo_resolution, "time": obligations.time_grain}.get(dim.kind)
    levels = GEO_LEVELS if dim.kind == "geo" else TIME_LEVELS
    if limit is None or dim.level is None:
        return True
    return limit in levels and levels.index(dim.level) <= levels.index(limit)


def describe_view(view: ViewDefinition, obligations: Obligations) -> dict[str, Any]:
    return {
        "name": view.name,
        "title": view.title,
        "description": view.description,
        "dataset": view.dataset,
        "dimensions": [
            {"name": d.name, "kind": d.kind}
            for d in view.dimensions.values()
            if _dim_ok(view, d.name, obligations)
        ],
        "measures": [m for m in view.measures if m not in obligations.suppressed_columns],
        "min_k": max(view.default_k, obligations.min_k),
    }


def safe_reasons(reasons: Sequence[str]) -> tuple[str, ...]:
    """Only stable reason codes leave the gateway; anything else becomes ``denied``."""
    return tuple(dict.fromkeys(r if _REASON_RE.match(r) else "denied" for r in reasons))


def empty_table(group_by: Sequence[str], measures: Sequence[str]) -> pa.Table:
    fields = [pa.field(d, pa.string()) for d in group_by]
    fields += [pa.field(m, pa.int64()) for m in measures]
    return pa.schema(fields).empty_table()
