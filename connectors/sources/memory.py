"""An in-memory table as a ``Source`` (feeds, SDK callers that already hold Arrow data)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa


class TableSource:
    kind = "table"

    def __init__(self, table: pa.Table) -> None:
        self._table = table
        self.row_count: int | None = table.num_rows

    @property
    def schema(self) -> pa.Schema:
        return self._table.schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        yield from self._table.to_batches()
