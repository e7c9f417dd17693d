"""Contract model: frozen column specs and the pyarrow schema they imply."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final

import pyarrow as pa

if TYPE_CHECKING:
    from gateway.contracts.documents import Rungs

TYPES: Final[dict[str, pa.DataType]] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us", tz="UTC"),
}
NUMERIC_TYPES: Final = frozenset({"int32", "int64", "float64"})
ORDERED_TYPES: Final = NUMERIC_TYPES | {"date", "timestamp"}
CLASSIFICATIONS: Final = (
    "direct_identifier",
    "quasi_identifier",
    "sensitive",
    "free_text",
    "non_personal",
)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One column: type, de-identification class and constraints.

    ``minimum``/``maximum`` are numbers for numeric types and ISO strings for date/timestamp.
    """

    name: str
    type: str
    classification: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    minimum: int | float | str | None = None
    maximum: int | float | str | None = None
    pattern: str | None = None
    unique: bool = False
    description: str = ""
    rungs: Rungs | None = None
    in_views: bool = True
    harmful: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (reason, values), sorted by reason

    @property
    def arrow_type(self) -> pa.DataType:
        return TYPES[self.type]

    @property
    def arrow_field(self) -> pa.Field:
        # Only the classification: it drives de-identification downstream. Constraints stay in
        # the contract so that editing a description never changes the stored table schema.
        meta = {"classification": self.classification}
        return pa.field(self.name, self.arrow_type, nullable=not self.required, metadata=meta)

    def constraints(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.allowed is not None:
            out["allowed"] = list(self.allowed)
        if self.minimum is not None:
            out["minimum"] = self.minimum
        if self.maximum is not None:
            out["maximum"] = self.maximum
        if self.pattern is not None:
            out["pattern"] = self.pattern
        if self.unique:
            out["unique"] = True
        return out

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "classification": self.classification,
            "required": self.required,
            "description": self.description,
            "constraints": self.constraints(),
        }
        if self.rungs is not None:
            out["rungs"] = self.rungs.model_dump(mode="json", exclude_none=True)
        if not self.in_views:
            out["in_views"] = False
        if self.harmful:
            out["harmful"] = {reason: list(values) for reason, values in self.harmful}
        return out


@dataclass(frozen=True)
class Contract:
    """A versioned dataset contract (one YAML file in ``contracts/``)."""

    dataset: str
    version: str
    title: str
    description: str
    columns: tuple[ColumnSpec, ...]

    @cached_property
    def arrow_schema(self) -> pa.Schema:
        """The stored schema: required columns non-nullable, classification in field metadata."""
        meta = {"dataset": self.dataset, "contract_version": self.version}
        return pa.schema([c.arrow_field for c in self.columns], metadata=meta)

    @cached_property
    def nullable_schema(self) -> pa.Schema:
        """The schema with every field nullable (what ``conform`` produces before validation)."""
        return pa.schema([f.with_nullable(True) for f in self.arrow_schema])

    @property
    def major(self) -> int:
        """The major version: what a view pins (``dataset@major``)."""
        return int(self.version.split(".", 1)[0])

    @property
    def entity_key(self) -> str | None:
        """The column with ``unique: true`` (one record per value), if the contract has one."""
        return next((c.name for c in self.columns if c.unique), None)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    @property
    def harmful_values(self) -> dict[str, tuple[str, ...]]:
        """Per column, every value the contract declares harmful to expose (any reason)."""
        out: dict[str, tuple[str, ...]] = {}
        for c in self.columns:
            values = sorted({v for _, vs in c.harmful for v in vs})
            if values:
                out[c.name] = tuple(values)
        return out

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.dataset} has no column {name!r}")

    def columns_with(self, classification: str) -> list[ColumnSpec]:
        return [c for c in self.columns if c.classification == classification]

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "columns": [c.to_dict() for c in self.columns],
        }
