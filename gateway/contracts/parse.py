"""Vectorised per-cell parsing of string columns and safe casting of typed columns.

Every function returns ``(typed column, failed mask)``: ``failed`` marks cells that held a value
which could not be turned into the contract type (they are null in the typed column).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.types as pat

from gateway.contracts.model import TYPES

_INT = r"^[+-]?\d{1,18}$"
_FLOAT = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$"
_DATE = r"^\d{4}-\d{2}-\d{2}$"
_TIMESTAMP = (
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,6})?)?))?"
    r"(?P<zone>Z|z|[+-](?:0\d|1[0-4]):?[0-5]\d)?$"
)
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_INT_RANGE = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}

Mask = np.ndarray | None


class IncompatibleTypeError(Exception):
    """A typed input column whose type family cannot become the contract type."""


def parse_strings(type_: str, column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, Mask]:
    """Parse a string column cell by cell; blank cells become null without failing."""
    column = _blank_to_null(column)
    if type_ == "string":
        return column, None
    text = pc.utf8_trim_whitespace(column)
    if type_ in ("int32", "int64"):
        typed = _cast_matching(text, _INT, pa.int64())
        lo, hi = _INT_RANGE[type_]
        typed = pc.if_else(_between(typed, lo, hi), typed, None).cast(TYPES[type_])
    elif type_ == "float64":
        typed = _cast_matching(text, _FLOAT, pa.float64())
        typed = pc.if_else(pc.is_finite(typed), typed, None)
    elif type_ == "bool":
        lower = pc.utf8_lower(text)
        known = pc.is_in(lower, pa.array(_TRUE + _FALSE))
        typed = pc.if_else(known, pc.is_in(lower, pa.array(_TRUE)), None)
    elif type_ == "date":
        typed = _parse_dates(text)
    elif type_ == "timestamp":
        typed = _parse_timestamps(text)
    else:  # pragma: no cover - the loader restricts types
        raise ValueError(type_)
    return typed, _failed(text, typed)


def cast_typed(type_: str, column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, Mask]:
    """Cast a typed (Parquet/Arrow) column; raise ``IncompatibleTypeError`` across families."""
    src = column.type
    target = TYPES[type_]
    if pat.is_null(src):
        return pa.chunked_array([pa.nulls(len(column), target)]), None
    if src == target:
        return column, None
    if type_ == "string" and pat.is_integer(src):
        return column.cast(target), None
    if type_ in ("int32", "int64") and (pat.is_integer(src) or pat.is_floating(src)):
        lo, hi = _INT_RANGE[type_]
        ok = _between(column, lo, hi)
        if pat.is_floating(src):
            ok = pc.and_(ok, pc.equal(pc.floor(column), column))
        typed = pc.if_else(ok, column, None).cast(target, safe=False)
        return typed, _failed(column, typed)
    if type_ == "float64" and (pat.is_integer(src) or pat.is_floating(src)):
        typed = column.cast(target)
        typed = pc.if_else(pc.is_finite(typed), typed, None)
        return typed, _failed(column, typed)
    if type_ == "date" and (pat.is_date(src) or pat.is_timestamp(src)):
        if pat.is_date(src):
            return column.cast(target), None
        midnight = pc.equal(pc.floor_temporal(column, unit="day"), column)
        typed = pc.if_else(midnight, column, None).cast(target)
        return typed, _failed(column, typed)
    if type_ == "timestamp" and (pat.is_timestamp(src) or pat.is_date(src)):
        if pat.is_timestamp(src) and src.tz is None:
            column = pc.assume_timezone(column, timezone="UTC")
        return column.cast(target, safe=False), None
    raise IncompatibleTypeError(f"{src} -> {type_}")


def _blank_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Empty or whitespace-only cells are missing values (CSV has no other way to say null)."""
    # binary_length: an empty string has no bytes; counting code points would decode every cell.
    blank = pc.or_(pc.equal(pc.binary_length(column), 0), pc.utf8_is_space(column))
    if not pc.any(blank).as_py():
        return column
    return pc.if_else(blank, None, column)


def _cast_matching(text: pa.ChunkedArray, pattern: str, target: pa.DataType) -> pa.ChunkedArray:
    ok = pc.match_substring_regex(text, pattern=pattern)
    # The grammar allows a leading '+' that Arrow's number parser refuses.
    unsigned = pc.replace_substring_regex(text, pattern=r"^\+", replacement="")
    return pc.if_else(ok, unsigned, None).cast(target)


def _between(column: pa.ChunkedArray, lo: int, hi: int) -> pa.ChunkedArray:
    return pc.and_(pc.greater_equal(column, lo), pc.less_equal(column, hi))


def _fast_cast(text: pa.ChunkedArray, pattern: str, target: pa.DataType) -> pa.ChunkedArray | None:
    """Arrow's own parser, when every cell has the accepted shape and it parses them all.

    Gated on our grammar so a cell is accepted or refused the same way whatever its neighbours.
    """
    ok = pc.match_substring_regex(text, pattern=pattern)
    if pc.any(pc.invert(ok)).as_py():
        return None
    try:
        return text.cast(target)
    except pa.ArrowInvalid:
        return None


def _parse_dates(text: pa.ChunkedArray) -> pa.ChunkedArray:
    fast = _fast_cast(text, _DATE, pa.date32())
    if fast is not None:
        return fast
    ok = pc.match_substring_regex(text, pattern=_DATE)
    candidate = pc.if_else(ok, text, None)
    parsed = pc.strptime(candidate, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime normalises 2021-02-30 to 2021-03-02: insist on an exact round trip.
    exact = pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), candidate)
    return pc.if_else(exact, parsed, None).cast(pa.date32())


def _parse_timestamps(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """ISO 8601; a missing time means midnight, a missing zone offset means UTC."""
    fast = _fast_cast(text, _TIMESTAMP, TYPES["timestamp"])
    if fast is not None:
        return fast
    parts = pc.extract_regex(text, pattern=_TIMESTAMP)  # null where no match
    date = pc.struct_field(parts, "date")
    valid_date = pc.is_valid(_parse_dates(date))
    time = pc.struct_field(parts, "time")
    time = pc.if_else(pc.equal(time, ""), "00:00:00", time)
    zone = pc.struct_field(parts, "zone")
    zone = pc.if_else(pc.is_in(zone, pa.array(["", "z"])), "Z", zone)
    iso = pc.binary_join_element_wise(date, "T", time, zone, "")
    iso = pc.if_else(valid_date, iso, None)
    target = TYPES["timestamp"]
    try:
        return iso.cast(target)
    except pa.ArrowInvalid:  # pragma: no cover - the regex should make this unreachable
        return pa.chunked_array([pa.array([_py_ts(v) for v in iso.to_pylist()], target)])


def _py_ts(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        return None


def _failed(source: pa.ChunkedArray, typed: pa.ChunkedArray) -> np.ndarray:
    bad = pc.and_(pc.is_valid(source), pc.is_null(typed))
    return np.asarray(bad.to_numpy(zero_copy_only=False), dtype=bool)
