"""DuckDB over the store's Arrow datasets: the only place view SQL is built and run.

Defends against SQL injection and row-level leaks: expressions come only from validated view
definitions, every caller-supplied value is a bound parameter, and every statement aggregates
(GROUP BY) — no statement here can return an input row.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

if TYPE_CHECKING:
    import pyarrow.dataset as pads

    from gateway.views.model import ViewDefinition

HIDDEN = "_hidden"


def _quote(name: str) -> str:
    # Names are validated identifiers ([a-z][a-z0-9_]*); quoting is belt and braces.
    return '"' + name.replace('"', '""') + '"'


class QueryEngine:
    """One in-process DuckDB database; each query runs on its own cursor (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._con: duckdb.DuckDBPyConnection | None = None

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            if self._con is None:
                self._con = duckdb.connect(":memory:")
            return self._con.cursor()

    def _run(self, sql: str, params: list[list[str]], name: str, source: Any) -> pa.Table:
        """Run ``sql`` on a fresh cursor with ``source`` registered as ``name``."""
        cur = self._cursor()
        try:
            cur.register(name, source)
            return cur.sql(sql, params=params).to_arrow_table()
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def cube(
        self,
        source: pads.Dataset | pa.Table,
        view: ViewDefinition,
        dims: Sequence[str],
        row_filter: Mapping[str, Sequence[str]],
    ) -> pa.Table:
        """Aggregate ``source`` by ``dims`` (all VARCHAR) with every measure, sorted by dims.

        ``row_filter`` (from policy obligations) restricts rows before aggregation; caller
        filters are NOT applied here, so the suppression pattern never depends on them.
        """
        name = "src_" + uuid.uuid4().hex
        select = [f"CAST({view.dimensions[d].sql} AS VARCHAR) AS {_quote(d)}" for d in dims]
        select += [f"{m.sql} AS {_quote(m.name)}" for m in view.measures.values()]
        where, params = _in_clauses(
            {f"CAST({view.dimensions[d].sql} AS VARCHAR)": v for d, v in row_filter.items()}
        )
        sql = f"SELECT {', '.join(select)} FROM {name}"  # noqa: S608 - validated names only
        if where:
            sql += " WHERE " + " AND ".join(where)
        if dims:
            order = ", ".join(f"{_quote(d)} NULLS FIRST" for d in dims)
            sql += f" GROUP BY ALL HAVING {view.measures[view.count_measure].sql} > 0"
            sql += f" ORDER BY {order}"
        table = self._run(sql, params, name, source)
        if not dims:
            count = table.column(view.count_measure)
            if table.num_rows and (count[0].as_py() or 0) == 0:
                table = table.slice(0, 0)
        return table

    def roll_up(
        self,
        cube: pa.Table,
        group_by: Sequence[str],
        measures: Sequence[str],
        filters: Mapping[str, Sequence[str]],
    ) -> pa.Table:
        """Select ``filters`` from a protected cube and sum it up to ``group_by``.

        ``cube`` carries a boolean ``_hidden`` column; an output cell with any hidden part is
        flagged hidden (its visible parts alone would let a caller difference out the rest).
        """
        name = "cube_" + uuid.uuid4().hex
        keys = [_quote(d) for d in group_by]
        sums = [f"CAST(sum({_quote(m)}) AS BIGINT) AS {_quote(m)}" for m in measures]
        select = [*keys, *sums, f"bool_or({HIDDEN}) AS {HIDDEN}"]
        where, params = _in_clauses({_quote(d): v for d, v in filters.items()})
        sql = f"SELECT {', '.join(select)} FROM {name}"  # noqa: S608 - validated names only
        if where:
            sql += " WHERE " + " AND ".join(where)
        if keys:
            sql += " GROUP BY ALL ORDER BY " + ", ".join(f"{k} NULLS FIRST" for k in keys)
        table = self._run(sql, params, name, cube)
        if not keys and table.num_rows and table.column(HIDDEN)[0].as_py() is None:
            table = table.slice(0, 0)  # nothing matched the filters
        return table


def _in_clauses(columns: Mapping[str, Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    where: list[str] = []
    params: list[list[str]] = []
    for expr, values in columns.items():
        where.append(f"{expr} IN (SELECT unnest(?::VARCHAR[]))")
        params.append([str(v) for v in values])
    return where, params
