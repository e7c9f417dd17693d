"""Parquet source: columns keep their stored types (the mapping casts what it must)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.errors import SourceError


def read(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SourceError(f"{path}: unreadable Parquet ({exc})") from None
