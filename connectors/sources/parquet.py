"""Parquet source: columns keep their stored types (the mapping casts what it must).

Streams record batches with ``ParquetFile.iter_batches`` rather than reading the whole file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from connectors.errors import SourceError
from connectors.sources.base import SourceOptions, int_option, no_other_options

KIND = "parquet"
DEFAULT_BATCH_ROWS = 65_536


class ParquetSource:
    """A Parquet file; ``batch_rows`` bounds each batch's row count."""

    kind = KIND

    def __init__(self, path: Path, *, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: file not found")
        self._path = path
        self._batch_rows = batch_rows
        try:
            meta = pq.read_metadata(path)
            self._schema = meta.schema.to_arrow_schema()
            self.row_count: int | None = meta.num_rows
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(f"{path}: unreadable Parquet ({exc})") from None

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            with pq.ParquetFile(self._path) as file:
                yield from file.iter_batches(batch_size=self._batch_rows)
        except (pa.ArrowInvalid, OSError) as exc:
            raise SourceError(f"{self._path}: unreadable Parquet ({exc})") from None


def open_parquet(location: str, options: SourceOptions) -> ParquetSource:
    no_other_options(KIND, options, {"batch_rows"})
    return ParquetSource(
        Path(location), batch_rows=int_option(options, "batch_rows", DEFAULT_BATCH_ROWS)
    )
