"""Shared pieces of the harm-filter tests: shipped contract and view, obligations, a runner."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gateway.contracts.model import Contract
from gateway.contracts.registry import ContractRegistry
from gateway.policy.contract import Obligations
from gateway.views.definitions import ViewRegistry
from gateway.views.model import ViewDefinition

REPO = Path(__file__).resolve().parents[2]


def obligations(
    days: int | None,
    dims: Sequence[str] = (),
    row_filter: Mapping[str, Sequence[str]] | None = None,
) -> Obligations:
    """Obligations of an allowed query with the given embargo (the rest as the demo grants)."""
    # As the policy engines answer: JSON (strict models take lists as tuples only from JSON).
    doc = json.dumps(
        {
            "min_k": 10,
            "columns": [],
            "suppressed_columns": [],
            "row_filter": {k: list(v) for k, v in (row_filter or {}).items()},
            "geo_resolution": None,
            "time_grain": None,
            "mode": "cellkey",
            "min_contributors": 2,
            "dominance": {"n": 2, "share": 0.85},
            "dp": {"epsilon": None, "budget": None, "purpose": "general"},
            "embargo": {"days": days, "dims": list(dims)},
        }
    )
    return Obligations.model_validate_json(doc)


NGO = obligations(30, ("admin1", "h3_cell"))
LAW_ENFORCEMENT = obligations(None)


def shipped() -> tuple[ViewDefinition, Contract]:
    contracts = ContractRegistry.load(REPO / "contracts")
    views = ViewRegistry.load(REPO / "gateway" / "views" / "definitions", contracts)
    return views.get("incident_hotspots"), contracts.get("incident_reports")


def counts(
    source: Any,
    predicates: Sequence[tuple[str, list[str]]],
    group_by: Sequence[str] = (),
) -> dict[tuple[Any, ...], int]:
    """count(*) by ``group_by`` over ``source`` with the predicates ANDed, values bound."""
    con = duckdb.connect(":memory:")
    try:
        con.register("src", source)
        keys = ", ".join(f'"{c}"' for c in group_by)
        sql = f"SELECT {keys + ', ' if keys else ''}count(*) AS n FROM src"
        if predicates:
            sql += " WHERE " + " AND ".join(f"({p})" for p, _ in predicates)
        if keys:
            sql += f" GROUP BY {keys}"
        rows = con.execute(sql, [values for _, values in predicates]).fetchall()
    finally:
        con.close()
    return {tuple(r[:-1]): int(r[-1]) for r in rows if r[-1]}


def rows(records: list[dict[str, Any]], contract: Contract) -> pa.Table:
    """A table of the contract's schema (missing keys null)."""
    schema = contract.nullable_schema
    return pa.Table.from_pylist(
        [{name: r.get(name) for name in schema.names} for r in records], schema=schema
    )
