"""Source readers: turn a partner file into a pyarrow Table (pluggable by file suffix).

Add a reader (SQL, Excel, ...) by writing a ``read(path) -> pa.Table`` function and
registering it in ``READERS``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from connectors.errors import SourceError
from connectors.sources import csv, parquet

Reader = Callable[[Path], pa.Table]

READERS: dict[str, Reader] = {
    ".csv": csv.read,
    ".parquet": parquet.read,
    ".pq": parquet.read,
}


def read_source(path: Path | str) -> pa.Table:
    """Read ``path`` with the reader registered for its suffix."""
    path = Path(path)
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        known = ", ".join(sorted(READERS))
        raise SourceError(f"{path}: unsupported source format {path.suffix!r} (known: {known})")
    if not path.is_file():
        raise SourceError(f"{path}: file not found")
    return reader(path)


__all__ = ["READERS", "Reader", "read_source"]
