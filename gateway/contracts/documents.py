"""The contract YAML document as strict, frozen pydantic models (exported as JSON Schema).

Defends against silently weak validation: unknown keys, misspelt types or classifications,
constraints that do not fit the column type and regexes that pyarrow cannot run all fail loudly.
``loader`` turns a checked document into the runtime ``Contract``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Final, Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, field_validator, model_validator

from gateway.contracts.model import NUMERIC_TYPES
from gateway.contracts.taxonomies import TAXONOMIES
from gateway.documents import Document

NAME_PATTERN: Final = r"^[a-z][a-z0-9_]{0,62}$"
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")

ColumnType = Literal["string", "int32", "int64", "float64", "bool", "date", "timestamp"]
Classification = Literal[
    "direct_identifier", "quasi_identifier", "sensitive", "free_text", "non_personal"
]
# Coarse to fine; a view dimension names one rung and obligations name the finest allowed.
GeoLevel = Literal["country", "admin1", "h3_cell"]
TimeGrain = Literal["year", "quarter", "month"]
# Why a place or category must never be singled out (contracts and data.beacon.harm share these).
HarmReason = Literal["shelter", "safe_house", "hotline", "investigation"]
HARM_REASONS: Final[tuple[str, ...]] = get_args(HarmReason)
GEO_LEVELS: Final[tuple[str, ...]] = get_args(GeoLevel)
TIME_LEVELS: Final[tuple[str, ...]] = get_args(TimeGrain)
Bound = int | float | dt.datetime | dt.date | str
Name = Annotated[str, Field(pattern=NAME_PATTERN)]


class Rungs(Document):
    """At which generalisation a column may appear in a view (exactly one of the three).

    ``geo``: the column is a place at this level; ``time``: a date that views may show only at
    these grains, never exact; ``category``: the stored values are coarse enough to show as they
    are (age bands, gender). A quasi-identifier without rungs never reaches a view.
    """

    geo: GeoLevel | None = None
    time: Annotated[tuple[TimeGrain, ...], Field(min_length=1, strict=False)] | None = None
    category: Literal[True] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> Rungs:
        given = [k for k in ("geo", "time", "category") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("rungs must give exactly one of geo, time or category")
        return self


class ConstraintsDocument(Document):
    allowed: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = None
    allowed_taxonomy: str | None = None
    minimum: Bound | None = None
    maximum: Bound | None = None
    pattern: Annotated[str, Field(min_length=1)] | None = None
    unique: bool = False

    @field_validator("allowed")
    @classmethod
    def _no_duplicates(cls, values: list[str] | None) -> list[str] | None:
        dupes = sorted({v for v in values or () if values and values.count(v) > 1})
        if dupes:
            raise ValueError(f"duplicate allowed values: {', '.join(dupes)}")
        return values

    @field_validator("allowed_taxonomy")
    @classmethod
    def _known_taxonomy(cls, name: str | None) -> str | None:
        if name is not None and name not in TAXONOMIES:
            raise ValueError(f"unknown allowed_taxonomy {name!r} (known: {', '.join(TAXONOMIES)})")
        return name

    @field_validator("pattern")
    @classmethod
    def _runnable_pattern(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        if not pattern.startswith("^"):
            # pandas/GX matches at the start, RE2 searches anywhere: an anchor makes them agree.
            raise ValueError("pattern must be anchored at the start with '^'")
        try:
            re.compile(pattern)
            # Both validators must accept it: pyarrow runs RE2, pandas/GX runs Python re.
            pc.match_substring_regex(pa.array([""]), pattern=pattern)
        except (re.error, pa.ArrowInvalid) as exc:
            raise ValueError(f"pattern {pattern!r} is not a valid regex ({exc})") from None
        return pattern


class ColumnDocument(Document):
    name: Name
    type: ColumnType
    classification: Classification
    required: bool = False
    description: str = ""
    constraints: ConstraintsDocument = ConstraintsDocument()
    rungs: Rungs | None = None
    in_views: bool = True  # false: never a view dimension, whatever the classification
    # Values whose records no output may show, by reason (records are dropped before any
    # aggregation, for every caller: see gateway/privacy/harm.py).
    harmful: dict[
        HarmReason, Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)]
    ] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _constraints_fit_type(self) -> ColumnDocument:
        c, type_ = self.constraints, self.type
        if c.allowed is not None and c.allowed_taxonomy is not None:
            raise ValueError("give either allowed or allowed_taxonomy, not both")
        if (c.allowed is not None or c.allowed_taxonomy is not None) and type_ != "string":
            raise ValueError(f"allowed values need a string column, not {type_}")
        if c.pattern is not None and type_ != "string":
            raise ValueError(f"pattern needs a string column, not {type_}")
        lo, hi = bound(c.minimum, "minimum", type_), bound(c.maximum, "maximum", type_)
        if lo is not None and hi is not None and lo > hi:  # type: ignore[operator]
            raise ValueError(f"minimum {lo!r} is greater than maximum {hi!r}")
        self._rungs_fit_type()
        self._harmful_fit_column()
        return self

    def _harmful_fit_column(self) -> None:
        if not self.harmful:
            return
        if self.type != "string":
            raise ValueError(f"harmful values need a string column, not {self.type}")
        c = self.constraints
        allowed = TAXONOMIES[c.allowed_taxonomy] if c.allowed_taxonomy else c.allowed
        if allowed is None:
            raise ValueError("harmful values need a closed list (allowed or allowed_taxonomy)")
        unknown = sorted({v for vs in self.harmful.values() for v in vs} - set(allowed))
        if unknown:
            raise ValueError(f"harmful values not in the allowed values: {', '.join(unknown)}")

    def _rungs_fit_type(self) -> None:
        if self.rungs is None:
            return
        if self.rungs.time is not None and self.type not in ("date", "timestamp"):
            raise ValueError(f"time rungs need a date or timestamp column, not {self.type}")
        if self.rungs.geo is not None and self.type != "string":
            raise ValueError(f"geo rungs need a string column, not {self.type}")
        if self.classification in ("direct_identifier", "free_text"):
            raise ValueError(
                f"a {self.classification} column has no rungs: it never reaches a view"
            )


class ContractDocument(Document):
    """One ``contracts/<dataset>.yaml`` file."""

    dataset: Name
    version: str
    title: Annotated[str, Field(min_length=1, pattern=r"\S")]
    description: str = ""
    columns: Annotated[list[ColumnDocument], Field(min_length=1)]

    @field_validator("version")
    @classmethod
    def _semver(cls, version: str) -> str:
        if not _SEMVER.match(version):
            raise ValueError(f"version {version!r} is not semantic (MAJOR.MINOR.PATCH)")
        return version

    @model_validator(mode="after")
    def _unique_names_and_one_key(self) -> ContractDocument:
        names = [c.name for c in self.columns]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate column names: {', '.join(dupes)}")
        keys = [c.name for c in self.columns if c.constraints.unique]
        if len(keys) > 1:
            raise ValueError(f"at most one unique column (the entity key), not {', '.join(keys)}")
        return self


def bound(value: Bound | None, key: str, type_: str) -> int | float | str | None:
    """A minimum/maximum normalised for the column type (ISO text for dates and timestamps)."""
    if value is None:
        return None
    if type_ in NUMERIC_TYPES:
        return _numeric_bound(value, key, type_)
    if type_ == "date":
        return _date_bound(value, key)
    if type_ == "timestamp":
        return _timestamp_bound(value, key)
    raise ValueError(f"{key} does not apply to a {type_} column")


def _numeric_bound(value: Bound, key: str, type_: str) -> int | float:
    if not isinstance(value, int | float):
        raise ValueError(f"{key} must be a number")
    if type_ != "float64" and not isinstance(value, int):
        raise ValueError(f"{key} must be an integer for {type_}")
    return value


def _date_bound(value: Bound, key: str) -> str:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
        raise ValueError(f"{key} must be an ISO date (YYYY-MM-DD)")
    try:
        day = value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{key} {value!r} is not an ISO date") from None
    return day.isoformat()


def _timestamp_bound(value: Bound, key: str) -> str:
    try:
        ts = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{key} {value!r} is not an ISO timestamp") from None
    if ts.tzinfo is None:
        raise ValueError(f"{key} must carry a zone offset (e.g. Z)")
    return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
