"""CSV source: every column read as a string; the contract decides types, not CSV inference.

Streams record batches with ``pyarrow.csv.open_csv`` (one block in memory at a time).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.errors import SourceError
from connectors.sources.base import SourceOptions

KIND = "csv"
DEFAULT_BLOCK_BYTES = 1 << 20


class CsvSource:
    """A CSV file with a header row; ``block_bytes`` bounds each batch's size."""

    kind = KIND

    def __init__(self, path: Path, *, block_bytes: int = DEFAULT_BLOCK_BYTES) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: file not found")
        self._path = path
        self._read = pacsv.ReadOptions(block_size=block_bytes)
        try:
            # Only the first block is parsed here, to learn the header.
            with pacsv.open_csv(path, read_options=self._read) as reader:
                header = reader.schema.names
        except pa.ArrowInvalid as exc:
            raise SourceError(f"{path}: malformed CSV ({exc})") from None
        self._convert = pacsv.ConvertOptions(
            column_types=dict.fromkeys(header, pa.string()),
            strings_can_be_null=True,
            null_values=[""],
            quoted_strings_can_be_null=False,
        )
        self._schema = pa.schema([(name, pa.string()) for name in header])

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        try:
            with pacsv.open_csv(
                self._path, read_options=self._read, convert_options=self._convert
            ) as reader:
                yield from reader
        except pa.ArrowInvalid as exc:
            raise SourceError(f"{self._path}: malformed CSV ({exc})") from None


def open_csv(location: str, options: SourceOptions) -> CsvSource:
    block = options.get("block_bytes", DEFAULT_BLOCK_BYTES)
    if not isinstance(block, int) or isinstance(block, bool) or block < 1:
        raise SourceError("source option block_bytes must be a positive integer")
    _no_other_options(options, {"block_bytes"})
    return CsvSource(Path(location), block_bytes=block)


def _no_other_options(options: SourceOptions, allowed: set[str]) -> None:
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise SourceError(f"unknown {KIND} source option(s): {', '.join(unknown)}")
