"""View definitions: typed, validated, immutable.

Defends against a definition leaking row-level data: dimensions may reference only one safe
source column through a whitelisted expression, measures may only be additive counts or sums
(no min/max/any_value, which would return a single row's value), and identifier or free-text
columns can never be a dimension or a measure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gateway.views.errors import InvalidViewDefinitionError

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
KINDS = ("geo", "time", "category")
# Coarse to fine; obligations name the finest level a caller may see.
GEO_LEVELS = ("country", "admin1", "h3_cell")
TIME_LEVELS = ("year", "quarter", "month")

# Identifier, free-text and system columns: never a dimension or a measure input.
FORBIDDEN_COLUMNS = frozenset(
    {
        "report_id", "record_id", "item_id", "finding_id", "narrative", "summary", "link",
        "source", "control_methods", "_batch_id", "_ingested_at", "_ingest_month",
        "_org", "_record_key",
    }
)  # fmt: skip
_SQL_WORDS = frozenset(
    {"strftime", "quarter", "year", "month", "cast", "as", "varchar", "timestamp"}
)  # without ICU, timestamptz must be cast (UTC) before strftime
_LITERAL_RE = re.compile(r"'[%A-Za-z0-9 _-]*'")
_IDENT_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_COUNT_RE = re.compile(r"^count\(\*\)$", re.IGNORECASE)
_SUM_RE = re.compile(r"^CAST\(sum\(([a-z_][a-z0-9_]*)\) AS BIGINT\)$", re.IGNORECASE)


@dataclass(frozen=True)
class Dimension:
    name: str
    column: str
    sql: str
    kind: str
    level: str | None


@dataclass(frozen=True)
class Measure:
    name: str
    sql: str
    description: str


@dataclass(frozen=True)
class ViewDefinition:
    name: str
    title: str
    description: str
    dataset: str
    dimensions: dict[str, Dimension]
    measures: dict[str, Measure]
    count_measure: str
    default_k: int

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "dataset": self.dataset}


def parse_view(doc: Any, *, source: str) -> ViewDefinition:
    """Build a ``ViewDefinition`` from a YAML document, refusing anything unsafe."""
    if not isinstance(doc, dict):
        raise _bad(source, "top level must be a mapping")
    name = _name(doc.get("name"), source, "name")
    dims_raw, measures_raw = doc.get("dimensions"), doc.get("measures")
    if not isinstance(dims_raw, dict) or not dims_raw:
        raise _bad(source, "dimensions must be a non-empty mapping")
    if not isinstance(measures_raw, dict) or not measures_raw:
        raise _bad(source, "measures must be a non-empty mapping")
    dims = {_name(k, source, "dimension"): _dimension(k, v, source) for k, v in dims_raw.items()}
    measures = {
        _name(k, source, "measure"): _measure(k, v, source) for k, v in measures_raw.items()
    }
    if set(dims) & set(measures):
        raise _bad(source, "a name cannot be both a dimension and a measure")
    count_measure = doc.get("count_measure")
    if count_measure not in measures or not _COUNT_RE.match(measures[count_measure].sql):
        raise _bad(source, "count_measure must name a count(*) measure")
    default_k = doc.get("default_k")
    if not isinstance(default_k, int) or isinstance(default_k, bool) or default_k < 2:
        raise _bad(source, "default_k must be an integer >= 2")
    return ViewDefinition(
        name=name,
        title=str(doc.get("title") or name),
        description=str(doc.get("description") or ""),
        dataset=_name(doc.get("dataset"), source, "dataset"),
        dimensions=dims,
        measures=measures,
        count_measure=count_measure,
        default_k=default_k,
    )


def _dimension(name: str, raw: Any, source: str) -> Dimension:
    if not isinstance(raw, dict):
        raise _bad(source, f"dimension {name}: must be a mapping")
    column = _name(raw.get("column"), source, f"dimension {name} column")
    if column in FORBIDDEN_COLUMNS:
        raise _bad(source, f"dimension {name}: column {column} may never be exposed")
    sql = str(raw.get("sql") or column)
    _check_expression(sql, column, source, name)
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _bad(source, f"dimension {name}: kind must be one of {KINDS}")
    level = raw.get("level")
    levels = {"geo": GEO_LEVELS, "time": TIME_LEVELS}.get(kind)
    if levels is not None and level not in levels:
        raise _bad(source, f"dimension {name}: level must be one of {levels}")
    if kind == "time" and sql.strip() == column:
        raise _bad(source, f"dimension {name}: exact dates must be coarsened")
    return Dimension(name=name, column=column, sql=sql, kind=kind, level=level)


def _check_expression(sql: str, column: str, source: str, name: str) -> None:
    stripped = _LITERAL_RE.sub("''", sql)
    if "'" in stripped.replace("''", "") or any(t in sql for t in (";", "--", "/*")):
        raise _bad(source, f"dimension {name}: unsafe expression")
    for ident in _IDENT_RE.findall(stripped):
        if ident != column and ident.lower() not in _SQL_WORDS:
            raise _bad(source, f"dimension {name}: expression may only use column {column}")


def _measure(name: str, raw: Any, source: str) -> Measure:
    if not isinstance(raw, dict) or not isinstance(raw.get("sql"), str):
        raise _bad(source, f"measure {name}: needs sql")
    sql = raw["sql"].strip()
    summed = _SUM_RE.match(sql)
    if not (_COUNT_RE.match(sql) or summed):
        raise _bad(source, f"measure {name}: only count(*) or CAST(sum(col) AS BIGINT)")
    if summed and summed.group(1) in FORBIDDEN_COLUMNS:
        raise _bad(source, f"measure {name}: column may never be exposed")
    return Measure(name=name, sql=sql, description=str(raw.get("description") or ""))


def _name(value: Any, source: str, what: str) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise _bad(source, f"{what} must be a lower-case identifier")
    return value


def _bad(source: str, message: str) -> InvalidViewDefinitionError:
    return InvalidViewDefinitionError(f"{source}: {message}")
