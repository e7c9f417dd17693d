"""SQL expressions in view definitions, parsed with sqlglot (DuckDB dialect) and walked.

Defends against a definition leaking row-level data or running arbitrary SQL: a dimension may
read only its one source column through a short whitelist (cast, ``||``, strftime, year,
quarter, month) with plain string literals, a time dimension may not format anything finer
than its declared grain, and a measure is exactly ``count(*)`` or ``CAST(sum(col) AS BIGINT)``.
Comments, several statements, subqueries and any other function are refused.
"""

from __future__ import annotations

import re
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_GRAINS: Final = ("year", "quarter", "month")
_CAST_TYPES: Final = frozenset(
    {
        exp.DataType.Type.VARCHAR,
        exp.DataType.Type.TEXT,
        exp.DataType.Type.TIMESTAMP,
        exp.DataType.Type.TIMESTAMPNTZ,
        exp.DataType.Type.DATE,
    }
)  # fmt: skip  (without ICU, timestamptz must be cast to TIMESTAMP before strftime)
_STRUCTURE: Final = (exp.Column, exp.Identifier, exp.Literal, exp.Cast, exp.DataType, exp.DPipe,
                     exp.Paren)  # fmt: skip
_TIME_FUNCS: Final[dict[type[exp.Expr], str]] = {
    exp.Year: "year", exp.Quarter: "quarter", exp.Month: "month", exp.TimeToStr: "year",
}  # fmt: skip
_LITERAL_RE = re.compile(r"^[%A-Za-z0-9 _-]{0,32}$")
_FORMAT_GRAIN: Final = {"%Y": "year", "%m": "month", "%b": "month", "%B": "month"}


class UnsafeExpressionError(ValueError):
    """The expression is not one the whitelist admits (message says why, never echoes SQL)."""


def check_dimension(sql: str, column: str, *, kind: str, level: str | None) -> None:
    """Refuse anything but ``column`` through whitelisted, grain-respecting functions."""
    tree = _parse(sql)
    finest = max((_check_node(node, column) for node in tree.walk()), default=-1)
    if not any(isinstance(n, exp.Column) for n in tree.walk()):
        raise UnsafeExpressionError(f"expression must read column {column}")
    if kind == "time":
        if finest < 0:
            raise UnsafeExpressionError("exact dates must be coarsened (strftime/year/month)")
        if level not in _GRAINS or finest > _GRAINS.index(level):
            raise UnsafeExpressionError(f"expression is finer than its level {level}")
    elif finest >= 0:
        raise UnsafeExpressionError(f"time functions belong in a time dimension, not {kind}")


def _check_node(node: exp.Expr, column: str) -> int:
    """Refuse one node unless whitelisted; the time grain it yields (-1 if none)."""
    if node.comments:
        raise UnsafeExpressionError("comments are not allowed")
    if isinstance(node, exp.Column):
        if node.table or node.name != column:
            raise UnsafeExpressionError(f"expression may only use column {column}")
    elif isinstance(node, exp.Literal):
        if not node.is_string or not _LITERAL_RE.match(node.this):
            raise UnsafeExpressionError("only short plain string literals are allowed")
    elif isinstance(node, exp.DataType):
        if node.this not in _CAST_TYPES:
            raise UnsafeExpressionError("cast only to VARCHAR, TEXT, DATE or TIMESTAMP")
    elif type(node) in _TIME_FUNCS:
        return _grain_of(node)
    elif not isinstance(node, _STRUCTURE):
        raise UnsafeExpressionError(f"{node.key} is not allowed in a dimension")
    return -1


def check_measure(sql: str) -> str | None:
    """``None`` for ``count(*)``; the summed column for ``CAST(sum(col) AS BIGINT)``."""
    tree = _parse(sql)
    if any(n.comments for n in tree.walk()):
        raise UnsafeExpressionError("comments are not allowed")
    if isinstance(tree, exp.Count) and isinstance(tree.this, exp.Star) and not tree.expressions:
        return None
    if (
        isinstance(tree, exp.Cast)
        and tree.to.this == exp.DataType.Type.BIGINT
        and isinstance(tree.this, exp.Sum)
        and isinstance(tree.this.this, exp.Column)
        and not tree.this.this.table
        and sum(1 for _ in tree.walk()) == 5  # Cast, Sum, DataType, Column, Identifier
    ):
        return str(tree.this.this.name)
    raise UnsafeExpressionError("only count(*) or CAST(sum(col) AS BIGINT)")


def is_count(sql: str) -> bool:
    try:
        return check_measure(sql) is None
    except UnsafeExpressionError:
        return False


def _parse(sql: str) -> exp.Expr:
    try:
        trees = sqlglot.parse(sql, read="duckdb")
    except SqlglotError:
        raise UnsafeExpressionError("expression does not parse") from None
    if len(trees) != 1 or trees[0] is None:
        raise UnsafeExpressionError("exactly one expression, no statements")
    return trees[0]


def _grain_of(node: exp.Expr) -> int:
    if not isinstance(node, exp.TimeToStr):
        return _GRAINS.index(_TIME_FUNCS[type(node)])
    fmt = node.args.get("format")
    if not isinstance(fmt, exp.Literal) or not fmt.is_string:
        raise UnsafeExpressionError("strftime needs a literal format")
    grains = [_FORMAT_GRAIN.get(code) for code in re.findall(r"%.", fmt.this)]
    if None in grains:
        raise UnsafeExpressionError("strftime may format only %Y and %m (no days or times)")
    return max((_GRAINS.index(g) for g in grains if g), default=0)
