"""Apply a profile's mapping to a source table: rename, constants, value maps (vectorised).

Derived fields (ISO codes, H3 cells, dates) live in ``connectors.derive``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pyarrow as pa
import pyarrow.compute as pc

from connectors.errors import MappingError
from connectors.profile import DatasetMapping
from gateway.contracts import Contract


def check_mapping(
    contract: Contract, mapping: DatasetMapping, source_columns: Iterable[str]
) -> None:
    """Fail early, naming every contract or source column the mapping gets wrong."""
    have = set(source_columns)
    known = set(contract.column_names)
    problems: list[str] = []
    targets = [*mapping.columns, *mapping.constants, *mapping.pseudonymise, *mapping.derive]
    unknown = sorted(set(targets) - known)
    if unknown:
        problems.append(
            f"not columns of contract {contract.dataset} {contract.version}: {', '.join(unknown)}"
        )
    sources = {*mapping.columns.values(), *mapping.pseudonymise.values()}
    sources |= {name for spec in mapping.derive.values() for name in spec.inputs()}
    missing = sorted(sources - have)
    if missing:
        problems.append(
            f"source column(s) not in the file: {', '.join(missing)} "
            f"(the file has: {', '.join(sorted(have))})"
        )
    unset = sorted(set(contract.required_columns) - set(targets))
    if unset:
        problems.append(f"required contract column(s) not mapped: {', '.join(unset)}")
    if problems:
        raise MappingError("; ".join(problems))


def map_columns(table: pa.Table, mapping: DatasetMapping) -> dict[str, pa.ChunkedArray]:
    """Clear columns (renamed, value-mapped) and constants, keyed by contract column."""
    out: dict[str, pa.ChunkedArray] = {}
    for target, source in mapping.columns.items():
        column = table.column(source)
        vmap = mapping.value_maps.get(target)
        out[target] = apply_value_map(column, vmap) if vmap else column
    for target, value in mapping.constants.items():
        out[target] = pa.chunked_array([pa.repeat(value, table.num_rows)])
    return out


def apply_value_map(column: pa.ChunkedArray, vmap: Mapping[str, str]) -> pa.ChunkedArray:
    """Replace exact matches of ``vmap`` keys; other values (and nulls) pass through unchanged."""
    if not pa.types.is_string(column.type):
        column = column.cast(pa.string())
    keys = pa.array(list(vmap), pa.string())
    values = pa.array(list(vmap.values()), pa.string())
    index = pc.index_in(column, value_set=keys)
    return pc.coalesce(pc.take(values, index), column)


def assemble(contract: Contract, columns: Mapping[str, pa.ChunkedArray]) -> pa.Table:
    """A table with the given contract columns, in contract order (absent optional ones omitted)."""
    names = [n for n in contract.column_names if n in columns]
    return pa.table({n: columns[n] for n in names})


def unmapped_columns(mapping: DatasetMapping, source_columns: Iterable[str]) -> list[str]:
    """Source columns the mapping neither uses nor explicitly drops: they are never sent."""
    used = {*mapping.columns.values(), *mapping.pseudonymise.values(), *mapping.drop}
    used |= {name for spec in mapping.derive.values() for name in spec.inputs()}
    return [c for c in source_columns if c not in used]
