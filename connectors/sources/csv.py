"""CSV/TSV source: every column read as a string; the contract decides types, not CSV inference.

Streams record batches with ``pyarrow.csv.open_csv`` (one block in memory at a time). The
delimiter and the encoding are detected from the first 64 KiB (csv.Sniffer over ``, ; TAB |``
and charset-normalizer) unless the profile sets them; a non-UTF-8 file is transcoded as it
streams. A file that is not text in the detected or declared encoding is a clear error.
"""

from __future__ import annotations

import csv as pycsv
from collections.abc import Iterator
from pathlib import Path

import charset_normalizer
import pyarrow as pa
import pyarrow.csv as pacsv

from connectors.errors import SourceError
from connectors.sources.base import SourceOptions, int_option, no_other_options, str_option

KIND = "csv"
TSV_KIND = "tsv"
DEFAULT_BLOCK_BYTES = 1 << 20
_SAMPLE_BYTES = 1 << 16
_DELIMITERS = ",;\t|"


class CsvSource:
    """A delimited text file with a header row; ``block_bytes`` bounds each batch's size."""

    kind = KIND

    def __init__(
        self,
        path: Path,
        *,
        block_bytes: int = DEFAULT_BLOCK_BYTES,
        delimiter: str | None = None,
        encoding: str | None = None,
    ) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: file not found")
        self._path = path
        sample = _sample(path)
        self.encoding = encoding or detect_encoding(path, sample)
        self.delimiter = delimiter or detect_delimiter(sample, self.encoding)
        self._read = pacsv.ReadOptions(block_size=block_bytes, encoding=self.encoding)
        self._parse = pacsv.ParseOptions(delimiter=self.delimiter)
        try:
            # Only the first block is parsed here, to learn the header.
            with pacsv.open_csv(path, read_options=self._read, parse_options=self._parse) as r:
                header = r.schema.names
        except (pa.ArrowInvalid, UnicodeDecodeError, LookupError) as exc:
            raise SourceError(f"{path}: {_explain(exc, self.encoding)}") from None
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
                self._path,
                read_options=self._read,
                parse_options=self._parse,
                convert_options=self._convert,
            ) as reader:
                yield from reader
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            raise SourceError(f"{self._path}: {_explain(exc, self.encoding)}") from None


def detect_encoding(path: Path, sample: bytes) -> str:
    """UTF-8 when the sample decodes as UTF-8, else charset-normalizer's best guess."""
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # a multi-byte character cut by the sample's end
            return "utf-8"
    best = charset_normalizer.from_bytes(sample).best()
    if best is None:
        raise SourceError(
            f"{path}: not readable as text in any known encoding; set source.options.encoding"
        )
    return str(best.encoding)


def detect_delimiter(sample: bytes, encoding: str) -> str:
    text = sample.decode(encoding, errors="ignore")
    lines = text.splitlines()[:20]
    try:
        return pycsv.Sniffer().sniff("\n".join(lines), delimiters=_DELIMITERS).delimiter
    except pycsv.Error:
        return ","


def _sample(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(_SAMPLE_BYTES)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.__class__.__name__})") from None


def _explain(exc: Exception, encoding: str) -> str:
    text = str(exc)
    if isinstance(exc, UnicodeDecodeError | LookupError) or "UTF8" in text or "UTF-8" in text:
        return (
            f"text is not valid {encoding} ({text.splitlines()[0][:120]}); "
            "set source.options.encoding to the file's encoding"
        )
    return f"malformed CSV ({text.splitlines()[0][:200]})"


def open_csv(location: str, options: SourceOptions) -> CsvSource:
    no_other_options(KIND, options, {"block_bytes", "delimiter", "encoding"})
    return CsvSource(
        Path(location),
        block_bytes=int_option(options, "block_bytes", DEFAULT_BLOCK_BYTES),
        delimiter=str_option(options, "delimiter"),
        encoding=str_option(options, "encoding"),
    )


def open_tsv(location: str, options: SourceOptions) -> CsvSource:
    return open_csv(location, {"delimiter": "\t", **options})
