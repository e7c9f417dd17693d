"""Connector sources: each yields Arrow record batches; the registry picks one by kind.

The kind comes from the dataset's ``[datasets.<name>.source]`` section in the profile, or from
the file suffix when the profile names none. Built in: ``csv``, ``parquet``.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from connectors.sources import csv, parquet
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
register_source(parquet.KIND, parquet.open_parquet, suffixes=(".parquet", ".pq"))


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
    "source_kinds",
]
