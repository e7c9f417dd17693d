"""View definitions: a view document bound to its dataset's contract, typed and immutable.

Defends against a definition leaking row-level data: what a view may expose follows from the
contract's column classifications, never from a hand list. Identifier, entity-key, free-text,
system (``_*``) and ``in_views: false`` columns can never be a dimension or a measure;
quasi-identifiers appear only at the rungs their contract declares; geo and time dimensions
use exactly the declared level or grain; expressions pass the sqlglot whitelist
(``expressions``); measures are counts or sums of a numeric, non-identifying column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from gateway.contracts.documents import GEO_LEVELS, TIME_LEVELS
from gateway.contracts.model import NUMERIC_TYPES
from gateway.documents import describe
from gateway.views.documents import DimensionDocument, MeasureDocument, ViewDocument
from gateway.views.errors import InvalidViewDefinitionError
from gateway.views.expressions import UnsafeExpressionError, check_dimension, check_measure

if TYPE_CHECKING:
    from gateway.contracts.model import ColumnSpec, Contract
    from gateway.contracts.registry import ContractRegistry

__all__ = [
    "GEO_LEVELS", "TIME_LEVELS", "Dimension", "Measure", "ViewDefinition", "bind_view",
    "exposable", "parse_view",
]  # fmt: skip
KINDS = ("geo", "time", "category")
_NEVER = frozenset({"direct_identifier", "free_text"})


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
    dataset_major: int = 1

    def summary(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "dataset": self.dataset}


def parse_view(doc: Any, *, source: str, contracts: ContractRegistry) -> ViewDefinition:
    """Parse a YAML document and bind it to its contract, refusing anything unsafe."""
    if not isinstance(doc, dict):
        raise _bad(source, "top level must be a mapping")
    try:
        view = ViewDocument.model_validate(doc)
    except ValidationError as exc:
        raise _bad(source, describe(exc, top="view")) from None
    dataset = view.dataset.partition("@")[0]
    if dataset not in contracts:
        raise _bad(source, f"dataset: no contract for {dataset!r}")
    return bind_view(view, contracts.get(dataset), source=source)


def bind_view(view: ViewDocument, contract: Contract, *, source: str) -> ViewDefinition:
    """Check ``view`` against ``contract`` (the one source of which columns may be shown)."""
    major = int(view.dataset.partition("@")[2])
    if major != contract.major:
        raise _bad(
            source,
            f"dataset: {view.dataset} but the contract {contract.dataset} is at "
            f"{contract.version} (major {contract.major})",
        )
    if set(view.dimensions) & set(view.measures):
        raise _bad(source, "a name cannot be both a dimension and a measure")
    dims = {k: _dimension(k, v, contract, source) for k, v in view.dimensions.items()}
    measures = {k: _measure(k, v, contract, source) for k, v in view.measures.items()}
    counted = measures.get(view.count_measure)
    if counted is None or check_measure(counted.sql) is not None:
        raise _bad(source, "count_measure must name a count(*) measure")
    return ViewDefinition(
        name=view.name,
        title=view.title or view.name,
        description=view.description,
        dataset=contract.dataset,
        dimensions=dims,
        measures=measures,
        count_measure=view.count_measure,
        default_k=view.default_k,
        dataset_major=major,
    )


def exposable(column: ColumnSpec, contract: Contract) -> bool:
    """May this column ever reach a view (as a dimension or a summed measure)?"""
    return _why_hidden(column, contract) is None


def _why_hidden(column: ColumnSpec, contract: Contract) -> str | None:
    if column.name.startswith("_"):
        return "a system column"
    if column.classification in _NEVER:
        return f"a {column.classification} column"
    if column.name == contract.entity_key:
        return "the entity key"
    if not column.in_views:
        return "marked in_views: false"
    if column.classification == "quasi_identifier" and column.rungs is None:
        return "a quasi_identifier without declared rungs"
    return None


def _dimension(name: str, doc: DimensionDocument, contract: Contract, source: str) -> Dimension:
    where = f"dimensions.{name}"
    col = _column(doc.column, contract, where, source)
    rungs = col.rungs
    if doc.kind == "geo" and (rungs is None or rungs.geo is None or rungs.geo != doc.level):
        declared = rungs.geo if rungs is not None and rungs.geo else "no geo rung"
        raise _bad(source, f"{where}: {col.name} is a geo column at {declared}, not {doc.level}")
    if doc.kind == "time" and (rungs is None or not rungs.time or doc.level not in rungs.time):
        grains = ", ".join(rungs.time) if rungs is not None and rungs.time else "no time rungs"
        raise _bad(source, f"{where}: {col.name} may be shown at {grains}, not {doc.level}")
    if doc.kind == "category":
        if doc.level is not None:
            raise _bad(source, f"{where}: a category dimension has no level")
        if rungs is not None and rungs.category is None:
            raise _bad(source, f"{where}: {col.name} must be shown as its declared geo/time rung")
    sql = (doc.sql or col.name).strip()
    try:
        check_dimension(sql, col.name, kind=doc.kind, level=doc.level)
    except UnsafeExpressionError as exc:
        raise _bad(source, f"{where}.sql: {exc}") from None
    return Dimension(name=name, column=col.name, sql=sql, kind=doc.kind, level=doc.level)


def _measure(name: str, doc: MeasureDocument, contract: Contract, source: str) -> Measure:
    where = f"measures.{name}.sql"
    sql = doc.sql.strip()
    try:
        summed = check_measure(sql)
    except UnsafeExpressionError as exc:
        raise _bad(source, f"{where}: {exc}") from None
    if summed is not None:
        col = _column(summed, contract, where, source)
        if col.type not in NUMERIC_TYPES or col.classification == "quasi_identifier":
            raise _bad(source, f"{where}: {col.name} is not a summable numeric column")
    return Measure(name=name, sql=sql, description=doc.description)


def _column(name: str, contract: Contract, where: str, source: str) -> ColumnSpec:
    ref = f"{contract.dataset}@{contract.major}"
    try:
        col = contract.column(name)
    except KeyError:
        raise _bad(source, f"{where}: {ref} has no column {name!r}") from None
    why = _why_hidden(col, contract)
    if why is not None:
        raise _bad(source, f"{where}: column {name} may never be exposed ({why})")
    return col


def _bad(source: str, message: str) -> InvalidViewDefinitionError:
    return InvalidViewDefinitionError(f"{source}: {message}")
