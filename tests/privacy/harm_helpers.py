"""Shared pieces of the harm-filter tests: shipped contract and view, an obligations stand-in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gateway.contracts.model import Contract
from gateway.contracts.registry import ContractRegistry
from gateway.views.definitions import ViewRegistry
from gateway.views.model import ViewDefinition

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Embargo:
    days: int | None = None
    dims: tuple[str, ...] = ()


@dataclass(frozen=True)
class Terms:
    """The two obligation fields the filter reads (stand-in until Obligations has embargo)."""

    embargo: Embargo = Embargo()
    row_filter: Mapping[str, Sequence[str]] = field(default_factory=dict)


NGO = Terms(Embargo(days=30, dims=("h3_cell", "admin1")))
LAW_ENFORCEMENT = Terms(Embargo(days=None, dims=()))


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
