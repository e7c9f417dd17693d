"""Load one contract YAML file into a ``Contract``, rejecting anything ambiguous.

Defends against silently weak validation: unknown keys, misspelt types or classifications,
constraints that do not fit the column type and regexes that pyarrow cannot run all fail loudly.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import yaml

from gateway.contracts.errors import ContractError
from gateway.contracts.model import CLASSIFICATIONS, NUMERIC_TYPES, TYPES, ColumnSpec, Contract
from gateway.contracts.taxonomies import TAXONOMIES

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?$")
_TOP_KEYS = {"dataset", "version", "title", "description", "columns"}
_COLUMN_KEYS = {"name", "type", "classification", "required", "description", "constraints"}
_CONSTRAINT_KEYS = {"allowed", "allowed_taxonomy", "minimum", "maximum", "pattern", "unique"}


def load_contract(path: str | Path) -> Contract:
    """Parse and check ``path``; raise ``ContractError`` naming the file and the offending key."""
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ContractError(f"{p}: cannot read contract ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise ContractError(f"{p}: not valid YAML ({exc})") from exc
    try:
        return parse_contract(raw)
    except ContractError as exc:
        raise ContractError(f"{p}: {exc}") from None


def parse_contract(raw: Any) -> Contract:
    """Build a ``Contract`` from an already-parsed mapping (e.g. served JSON)."""
    if not isinstance(raw, dict):
        raise ContractError("top level must be a mapping")
    _check_keys(raw, _TOP_KEYS, _TOP_KEYS - {"description"}, "contract")
    dataset = _str(raw, "dataset", "contract")
    if not _NAME.match(dataset):
        raise ContractError(f"dataset {dataset!r} must match {_NAME.pattern}")
    version = _str(raw, "version", "contract")
    if not _SEMVER.match(version):
        raise ContractError(f"version {version!r} is not semantic (MAJOR.MINOR.PATCH)")
    columns_raw = raw["columns"]
    if not isinstance(columns_raw, list) or not columns_raw:
        raise ContractError("columns must be a non-empty list")
    columns = tuple(_column(c, i) for i, c in enumerate(columns_raw))
    names = [c.name for c in columns]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ContractError(f"duplicate column names: {', '.join(dupes)}")
    return Contract(
        dataset=dataset,
        version=version,
        title=_str(raw, "title", "contract"),
        description=str(raw.get("description") or ""),
        columns=columns,
    )


def _column(raw: Any, index: int) -> ColumnSpec:
    where = f"columns[{index}]"
    if not isinstance(raw, dict):
        raise ContractError(f"{where} must be a mapping")
    if isinstance(raw.get("name"), str):
        where = f"column {raw['name']!r}"
    _check_keys(raw, _COLUMN_KEYS, {"name", "type", "classification"}, where)
    name = _str(raw, "name", where)
    if not _NAME.match(name):
        raise ContractError(f"{where}: column name must match {_NAME.pattern}")
    type_ = _str(raw, "type", where)
    if type_ not in TYPES:
        raise ContractError(f"{where}: type {type_!r} is not one of {', '.join(TYPES)}")
    classification = _str(raw, "classification", where)
    if classification not in CLASSIFICATIONS:
        raise ContractError(
            f"{where}: classification {classification!r} is not one of "
            + ", ".join(CLASSIFICATIONS)
        )
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise ContractError(f"{where}: required must be true or false")
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise ContractError(f"{where}: description must be a string")
    cons = raw.get("constraints") or {}
    if not isinstance(cons, dict):
        raise ContractError(f"{where}: constraints must be a mapping")
    _check_keys(cons, _CONSTRAINT_KEYS, set(), f"{where} constraints")
    unique = cons.get("unique", False)
    if not isinstance(unique, bool):
        raise ContractError(f"{where}: unique must be true or false")
    minimum = _bound(cons, "minimum", type_, where)
    maximum = _bound(cons, "maximum", type_, where)
    if minimum is not None and maximum is not None and minimum > maximum:  # type: ignore[operator]
        raise ContractError(f"{where}: minimum {minimum!r} is greater than maximum {maximum!r}")
    return ColumnSpec(
        name=name,
        type=type_,
        classification=classification,
        required=required,
        allowed=_allowed(cons, type_, where),
        minimum=minimum,
        maximum=maximum,
        pattern=_pattern(cons, type_, where),
        unique=unique,
        description=description,
    )


def _allowed(cons: dict[str, Any], type_: str, where: str) -> tuple[str, ...] | None:
    if "allowed" in cons and "allowed_taxonomy" in cons:
        raise ContractError(f"{where}: give either allowed or allowed_taxonomy, not both")
    if "allowed_taxonomy" in cons:
        name = cons["allowed_taxonomy"]
        if name not in TAXONOMIES:
            raise ContractError(
                f"{where}: unknown allowed_taxonomy {name!r} (known: {', '.join(TAXONOMIES)})"
            )
        values: Any = list(TAXONOMIES[name])
    elif "allowed" in cons:
        values = cons["allowed"]
    else:
        return None
    if type_ != "string":
        raise ContractError(f"{where}: allowed values need a string column, not {type_}")
    if not isinstance(values, list) or not values:
        raise ContractError(f"{where}: allowed must be a non-empty list")
    if not all(isinstance(v, str) and v for v in values):
        raise ContractError(f"{where}: allowed values must be non-empty strings (quote them)")
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ContractError(f"{where}: duplicate allowed values: {', '.join(dupes)}")
    return tuple(values)


def _bound(cons: dict[str, Any], key: str, type_: str, where: str) -> int | float | str | None:
    if key not in cons:
        return None
    value = cons[key]
    if type_ in NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ContractError(f"{where}: {key} must be a number")
        if type_ != "float64" and not isinstance(value, int):
            raise ContractError(f"{where}: {key} must be an integer for {type_}")
        return value
    if type_ == "date":
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date | str):
            raise ContractError(f"{where}: {key} must be an ISO date (YYYY-MM-DD)")
        try:
            return (
                value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
            ).isoformat()
        except ValueError:
            raise ContractError(f"{where}: {key} {value!r} is not an ISO date") from None
    if type_ == "timestamp":
        try:
            ts = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        except ValueError:
            raise ContractError(f"{where}: {key} {value!r} is not an ISO timestamp") from None
        if ts.tzinfo is None:
            raise ContractError(f"{where}: {key} must carry a zone offset (e.g. Z)")
        return ts.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    raise ContractError(f"{where}: {key} does not apply to a {type_} column")


def _pattern(cons: dict[str, Any], type_: str, where: str) -> str | None:
    if "pattern" not in cons:
        return None
    pattern = cons["pattern"]
    if type_ != "string":
        raise ContractError(f"{where}: pattern needs a string column, not {type_}")
    if not isinstance(pattern, str) or not pattern:
        raise ContractError(f"{where}: pattern must be a non-empty string")
    if not pattern.startswith("^"):
        # pandas/GX matches at the start, RE2 searches anywhere: an anchor makes them agree.
        raise ContractError(f"{where}: pattern must be anchored at the start with '^'")
    try:
        re.compile(pattern)
        # Both validators must accept it: pyarrow runs RE2, pandas/GX runs Python re.
        pc.match_substring_regex(pa.array([""]), pattern=pattern)
    except (re.error, pa.ArrowInvalid) as exc:
        raise ContractError(f"{where}: pattern {pattern!r} is not a valid regex ({exc})") from None
    return pattern


def _check_keys(raw: dict[str, Any], known: set[str], needed: set[str], where: str) -> None:
    unknown = sorted(set(map(str, raw)) - known)
    if unknown:
        raise ContractError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(needed - set(raw))
    if missing:
        raise ContractError(f"{where}: missing key(s) {', '.join(missing)}")


def _str(raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContractError(f"{where}: {key} must be a non-empty string")
    return value
