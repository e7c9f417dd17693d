"""Plant invalid values in synthetic data, one contract rule per broken row (for tests/demos)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from connectors.synthetic.synth import contract_for
from gateway.contracts.model import Contract


def inject_errors(
    table: pa.Table, fraction: float, *, seed: int = 0, contract: Contract | None = None
) -> tuple[pa.Table, set[int]]:
    """Break ``fraction`` of the rows, one rule each, cycling through every applicable rule.

    Returns an all-string table (as a CSV upload would arrive) and the broken row indices. The
    contract defaults to the one named in the table's schema metadata (``dataset``).
    """
    if contract is None:
        meta = table.schema.metadata or {}
        contract = contract_for(meta[b"dataset"].decode())
    strings = {
        n: pc.cast(table.column(n), pa.string()).combine_chunks() for n in table.column_names
    }
    plans = _error_plans(contract)
    n = table.num_rows
    rng = np.random.default_rng(seed)
    k = min(round(fraction * n), n - 1)
    broken = (
        np.sort(rng.choice(np.arange(1, n), size=k, replace=False)) if k > 0 else np.zeros(0, int)
    )
    kinds = rng.permutation(np.arange(k) % len(plans))
    intact = np.setdiff1d(np.arange(n), broken)
    for p, (column, bad_value) in enumerate(plans):
        rows = broken[kinds == p]
        if not rows.size:
            continue
        if bad_value is None:  # unique: repeat the value of an earlier, intact row
            earlier = intact[np.searchsorted(intact, rows) - 1]
            values = strings[column].take(pa.array(earlier))
        else:
            values = pa.array([bad_value] * rows.size, pa.string())
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        strings[column] = pc.replace_with_mask(strings[column], pa.array(mask), values)
    return pa.table(strings), {int(r) for r in broken}


def _error_plans(contract: Contract) -> list[tuple[str, str | None]]:
    """(column, bad value as text) per rule; ``None`` means "duplicate an earlier value"."""
    plans: list[tuple[str, str | None]] = []
    for spec in contract.columns:
        if spec.required:
            plans.append((spec.name, ""))
        if spec.type in ("int32", "int64", "float64", "date", "timestamp", "bool"):
            plans.append(
                (
                    spec.name,
                    {"date": "2021-02-30", "timestamp": "yesterday"}.get(spec.type, "not-a-number"),
                )
            )
        if spec.allowed is not None:
            plans.append((spec.name, "zz_not_in_taxonomy"))
        if spec.minimum is not None:
            plans.append((spec.name, _beyond(spec.type, spec.minimum, -1)))
        if spec.maximum is not None:
            plans.append((spec.name, _beyond(spec.type, spec.maximum, +1)))
        if spec.pattern is not None and spec.allowed is None:
            plans.append((spec.name, "not a valid value!"))
        if spec.unique:
            plans.append((spec.name, None))
    return plans


def _beyond(type_: str, bound: int | float | str, step: int) -> str:
    if type_ == "date":
        return (dt.date.fromisoformat(str(bound)) + dt.timedelta(days=step)).isoformat()
    if type_ == "timestamp":
        return (dt.datetime.fromisoformat(str(bound)) + dt.timedelta(days=step)).isoformat()
    return str(bound + step)  # type: ignore[operator]
