"""CSV source: every column read as a string; the contract decides types, not CSV inference."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.errors import SourceError


def read(path: Path) -> pa.Table:
    try:
        # Only the first block is parsed here, to learn the header.
        with pacsv.open_csv(path) as reader:
            header = reader.schema.names
    except pa.ArrowInvalid as exc:
        raise SourceError(f"{path}: malformed CSV ({exc})") from None
    types = dict.fromkeys(header, pa.string())
    convert = pacsv.ConvertOptions(
        column_types=types,
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(path, convert_options=convert)
    except pa.ArrowInvalid as exc:
        raise SourceError(f"{path}: malformed CSV ({exc})") from None
