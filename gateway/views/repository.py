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
ORG = "_org"
RECORD_KEY = "_record_key"
# Per output cell, from its own records (never from other cells): see ``cells``.
N, N_OTHER, ORGS_OTHER, KEY_SUM, UNKEYED = "_n", "_n_other", "_orgs_other", "_key_sum", "_unkeyed"
TOP = "_top_"  # + measure name: the measure's two largest contributions, as a list
Predicate = tuple[str, list[str]]  # SQL over the view's source columns + its bound parameters


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

    def _run(self, sql: str, params: Sequence[Any], name: str, source: Any) -> pa.Table:
        """Run ``sql`` on a fresh cursor with ``source`` registered as ``name``."""
        cur = self._cursor()
        try:
            cur.register(name, source)
            return cur.sql(sql, params=list(params)).to_arrow_table()
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
        *,
        by_org: bool = False,
        base_filter: Sequence[Predicate] = (),
    ) -> pa.Table:
        """Aggregate ``source`` by ``dims`` (all VARCHAR) with every measure, sorted by dims.

        ``row_filter`` (from policy obligations) and ``base_filter`` restrict rows before
        aggregation; caller filters are NOT applied here, so the suppression pattern never
        depends on them. ``by_org`` also groups by the uploading organisation (``_org``): one
        row per (cell, organisation) part, for thresholds on other organisations' records.
        """
        name = "src_" + uuid.uuid4().hex
        select = [f"CAST({view.dimensions[d].sql} AS VARCHAR) AS {_quote(d)}" for d in dims]
        if by_org:
            select.append(ORG)
        select += [f"{m.sql} AS {_quote(m.name)}" for m in view.measures.values()]
        where, params = _in_clauses(
            {f"CAST({view.dimensions[d].sql} AS VARCHAR)": v for d, v in row_filter.items()}
        )
        for predicate, values in base_filter:
            where.append(f"({predicate})")
            params.extend(values)
        sql = f"SELECT {', '.join(select)} FROM {name}"  # noqa: S608 - validated names only
        if where:
            sql += " WHERE " + " AND ".join(where)
        if dims or by_org:
            order = ", ".join(
                f"{_quote(d)} NULLS FIRST" for d in [*dims, *([ORG] if by_org else [])]
            )
            sql += f" GROUP BY ALL HAVING {view.measures[view.count_measure].sql} > 0"
            sql += f" ORDER BY {order}"
        table = self._run(sql, params, name, source)
        if not dims and not by_org:
            count = table.column(view.count_measure)
            if table.num_rows and (count[0].as_py() or 0) == 0:
                table = table.slice(0, 0)
        return table

    def cells(
        self,
        source: pads.Dataset | pa.Table,
        view: ViewDefinition,
        *,
        group_by: Sequence[str],
        filters: Mapping[str, Sequence[str]],
        row_filter: Mapping[str, Sequence[str]],
        caller: str,
        summed: Mapping[str, str],
        base_filter: Sequence[Predicate] = (),
    ) -> pa.Table:
        """Every output cell computed directly from the records it covers.

        One row per non-empty ``group_by`` cell of the records that pass ``row_filter``, the
        caller's ``filters`` and ``base_filter`` (the harm/embargo hook): ``_n`` records,
        ``_n_other`` / ``_orgs_other`` records and organisations other than ``caller`` (a NULL
        ``_org`` never counts as another organisation), ``_key_sum`` the record keys' sum mod
        2**32, ``_unkeyed`` records without a key, every measure, and for each summed measure
        (``summed``: measure -> column) its two largest contributions. Because each cell is
        aggregated from its own records, its answer depends only on that record set, never on
        how the query was worded or which other cells it asked for.
        """
        name = "src_" + uuid.uuid4().hex
        params: list[Any] = [caller, caller]
        select = [f"CAST({view.dimensions[d].sql} AS VARCHAR) AS {_quote(d)}" for d in group_by]
        select += [f"{m.sql} AS {_quote(m.name)}" for m in view.measures.values()]
        select += [
            f"count(*) AS {N}",
            f"count(*) FILTER (WHERE {ORG} <> ?) AS {N_OTHER}",
            f"count(DISTINCT {ORG}) FILTER (WHERE {ORG} <> ?) AS {ORGS_OTHER}",
            f"CAST(coalesce(sum(CAST({RECORD_KEY} AS HUGEINT)), 0) % 4294967296 AS BIGINT)"
            f" AS {KEY_SUM}",
            f"count(*) FILTER (WHERE {RECORD_KEY} IS NULL OR {ORG} IS NULL) AS {UNKEYED}",
        ]
        select += [f"max({_quote(c)}, 2) AS {_quote(TOP + m)}" for m, c in summed.items()]
        dims = view.dimensions
        where, where_params = _in_clauses(
            {f"CAST({dims[d].sql} AS VARCHAR)": v for d, v in row_filter.items()}
        )
        more, more_params = _in_clauses(
            {f"CAST({dims[d].sql} AS VARCHAR)": v for d, v in filters.items()}
        )
        where, where_params = where + more, [*where_params, *more_params]
        for sql, values in base_filter:
            where.append(f"({sql})")
            where_params.extend(values)
        sql = f"SELECT {', '.join(select)} FROM {name}"  # noqa: S608 - validated names only
        if where:
            sql += " WHERE " + " AND ".join(where)
        if group_by:
            order = ", ".join(f"{_quote(d)} NULLS FIRST" for d in group_by)
            sql += f" GROUP BY ALL ORDER BY {order}"
        table = self._run(sql, [*params, *where_params], name, source)
        if not group_by and table.num_rows and (table.column(N)[0].as_py() or 0) == 0:
            table = table.slice(0, 0)  # no records: no total either
        return table

    def span(self, source: pads.Dataset | pa.Table, expr: str) -> tuple[str | None, str | None]:
        """The least and greatest value of a time dimension over the whole release."""
        name = "src_" + uuid.uuid4().hex
        sql = f"SELECT min({expr}) AS lo, max({expr}) AS hi FROM {name}"  # noqa: S608
        row = self._run(sql, [], name, source).to_pylist()[0]
        lo, hi = row["lo"], row["hi"]
        return (None if lo is None else str(lo)), (None if hi is None else str(hi))

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


def _in_clauses(columns: Mapping[str, Sequence[str]]) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []
    for expr, values in columns.items():
        where.append(f"{expr} IN (SELECT unnest(?::VARCHAR[]))")
        params.append([str(v) for v in values])
    return where, params
