"""Derived contract fields: country and subdivision names to ISO codes, lat/lon to H3, dates.

Defends against silently wrong data: a name that matches an ISO entry exactly (name, official
or common name, alpha-2/alpha-3 code, any case and accent-insensitive spacing) is converted; a
name that only *resembles* one is never converted. It is reported as a fuzzy match with its
suggestion (so the partner can add it to ``value_maps``) and sent as it was, so the contract's
taxonomy check rejects that row visibly instead of a guess landing in the store. Work is per
distinct value, then a vectorised take, so a 10^7-row column costs one lookup per country.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

import h3
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from connectors.errors import MappingError
from gateway.contracts import Contract

_FUZZY_CUTOFF = 0.8


@dataclass
class DeriveReport:
    """What a derivation converted, suggested and could not place, per contract column."""

    converted: dict[str, int] = field(default_factory=dict)
    fuzzy: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> value -> hint
    unmatched: dict[str, dict[str, int]] = field(default_factory=dict)  # column -> value -> n

    def merge_unmatched(self, column: str, value: str, n: int, hint: str | None) -> None:
        if hint is not None:
            self.fuzzy.setdefault(column, {})[value] = hint
        bucket = self.unmatched.setdefault(column, {})
        bucket[value] = bucket.get(value, 0) + n


def _key(name: str) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


@lru_cache(maxsize=1)
def _countries() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("alpha_2", "alpha_3", "name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if value:
                out[_key(value)] = c.alpha_2
    return out


@lru_cache(maxsize=256)
def _subdivisions(country: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for s in pycountry.subdivisions.get(country_code=country) or ():  # type: ignore[no-untyped-call]
        out[_key(s.name)] = s.code
        out[_key(s.code)] = s.code
        out[_key(s.code.split("-", 1)[1])] = s.code
    return out


def _lookup(table: dict[str, str], value: str) -> tuple[str | None, str | None]:
    """(code, None) on an exact match, else (None, fuzzy suggestion or None)."""
    code = table.get(_key(value))
    if code is not None:
        return code, None
    close = difflib.get_close_matches(_key(value), list(table), n=1, cutoff=_FUZZY_CUTOFF)
    return None, (table[close[0]] + f" (looks like {close[0]!r})" if close else None)


def country_codes(column: pa.ChunkedArray, target: str, report: DeriveReport) -> pa.ChunkedArray:
    """ISO 3166-1 alpha-2 for exact name/code matches; other values pass through, reported."""
    return _per_distinct(column, target, report, lambda v: _lookup(_countries(), v))


def subdivision_codes(
    names: pa.ChunkedArray, countries: pa.ChunkedArray, target: str, report: DeriveReport
) -> pa.ChunkedArray:
    """ISO 3166-2 codes looked up within each row's country (an ISO alpha-2 column)."""
    pairs = pc.binary_join_element_wise(
        countries.cast(pa.string()), names.cast(pa.string()), "\x1f"
    )

    def lookup(pair: str) -> tuple[str | None, str | None]:
        country, _, name = pair.partition("\x1f")
        return _lookup(_subdivisions(country.upper()), name)

    out = _per_distinct(pairs, target, report, lookup, shown=lambda p: p.replace("\x1f", ": "))
    # Unconverted pairs go back to the partner's own value (never the joined key).
    converted = pc.not_equal(out, pairs)
    return pc.if_else(converted, out, names.cast(pa.string()))


def _per_distinct(
    column: pa.ChunkedArray,
    target: str,
    report: DeriveReport,
    lookup: Callable[[str], tuple[str | None, str | None]],
    *,
    shown: Callable[[str], str] = str,
) -> pa.ChunkedArray:
    column = column.cast(pa.string())
    counts = pc.value_counts(column)
    codes: list[str | None] = []
    distinct = counts.field("values")
    for value, n in zip(distinct.to_pylist(), counts.field("counts").to_pylist(), strict=True):
        if value is None:
            codes.append(None)
            continue
        code, hint = lookup(value)
        if code is None:
            report.merge_unmatched(target, shown(value), n, hint)
            codes.append(value)
        else:
            report.converted[target] = report.converted.get(target, 0) + n
            codes.append(code)
    return pc.take(pa.array(codes, pa.string()), pc.index_in(column, value_set=distinct))


def h3_resolution(contract: Contract, column: str) -> int:
    """The H3 resolution a contract column expects, from its ``^8<res>`` index pattern."""
    pattern = contract.column(column).constraints().get("pattern", "")
    found = re.match(r"\^8([0-9a-f])", pattern)
    if found is None:
        raise MappingError(f"contract column {column!r} does not say which H3 resolution it takes")
    return int(found.group(1), 16)


def h3_cells(lat: pa.ChunkedArray, lon: pa.ChunkedArray, resolution: int) -> pa.ChunkedArray:
    """The H3 cell of each (lat, lon); a missing or out-of-range coordinate gives null."""
    lats = pc.cast(lat, pa.float64(), safe=False) if not pa.types.is_floating(lat.type) else lat
    lons = pc.cast(lon, pa.float64(), safe=False) if not pa.types.is_floating(lon.type) else lon
    cells: list[str | None] = []
    for y, x in zip(lats.to_pylist(), lons.to_pylist(), strict=True):
        ok = y is not None and x is not None and -90 <= y <= 90 and -180 <= x <= 180
        cells.append(h3.latlng_to_cell(y, x, resolution) if ok else None)
    return pa.chunked_array([pa.array(cells, pa.string())])


def parse_dates(
    column: pa.ChunkedArray, formats: list[str], *, timestamp: bool = False
) -> pa.ChunkedArray:
    """ISO 8601 text for values matching one of ``formats`` (first match wins); others unchanged
    so the contract check names the row and column."""
    text = column.cast(pa.string())
    parsed: pa.ChunkedArray | None = None
    for fmt in formats:
        attempt = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        parsed = attempt if parsed is None else pc.coalesce(parsed, attempt)
    if parsed is None:
        return text
    iso = (
        pc.strftime(parsed, format="%Y-%m-%dT%H:%M:%SZ")
        if timestamp
        else pc.strftime(parsed, format="%Y-%m-%d")
    )
    return pc.coalesce(iso, text)
