"""Connector sources: each yields Arrow record batches; the registry picks one by kind.

The kind comes from the dataset's ``[datasets.<name>.source]`` section in the profile, or from
the file suffix when the profile names none. Built in: ``csv``, ``tsv``, ``parquet``, ``xlsx``,
``jsonl`` and ``sql`` (a SQLAlchemy URL as the location, a table or query in the options).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from connectors.errors import SourceError
from connectors.profile import SourceSpec
from connectors.sources import csv, jsonl, parquet, sql, xlsx
from connectors.sources.base import (
    Source,
    SourceFactory,
    SourceOptions,
    kind_for_path,
    open_source,
    read_all,
    register_source,
    source_kinds,
)

register_source(csv.KIND, csv.open_csv, suffixes=(".csv",))
register_source(csv.TSV_KIND, csv.open_tsv, suffixes=(".tsv", ".tab"))
register_source(parquet.KIND, parquet.open_parquet, suffixes=(".parquet", ".pq"))
register_source(xlsx.KIND, xlsx.open_xlsx, suffixes=(".xlsx", ".xlsm", ".xls", ".ods"))
register_source(jsonl.KIND, jsonl.open_jsonl, suffixes=(".jsonl", ".ndjson"))
register_source(sql.KIND, sql.open_sql)


def source_for(spec: SourceSpec | None, location: str | Path | None) -> tuple[Source, str]:
    """The source a dataset's profile section and the command line name, and its location."""
    where = str(location) if location is not None else (spec.location if spec else None)
    if where is None:
        raise SourceError("name a source on the command line or set source.location")
    if spec is None:
        return open_source(kind_for_path(where), where), where
    return open_source(spec.kind, where, spec.options), where


def read_source(
    location: Path | str, kind: str | None = None, options: SourceOptions | None = None
) -> pa.Table:
    """The whole source at ``location`` as one table (kind from the suffix unless given)."""
    return read_all(open_source(kind or kind_for_path(location), location, options))


__all__ = [
    "Source",
    "SourceFactory",
    "SourceOptions",
    "kind_for_path",
    "open_source",
    "read_all",
    "read_source",
    "register_source",
    "source_for",
    "source_kinds",
]
