"""Turn an upload body (CSV, Parquet, Arrow IPC) into an Arrow table, or a precise 400.

Defends against malformed input: every pyarrow parse failure becomes ``MalformedUploadError``
with a line or column where pyarrow gives one. CSV cells are read as strings (the contract's
conform step parses them per cell, so one bad cell rejects one row, not the batch). Messages
never quote cell contents, because they end up in logs.
"""

from __future__ import annotations

import codecs
import csv
import io
import mmap
import os
from typing import IO, Final

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from gateway.ingest.errors import MalformedUploadError, UnsupportedMediaTypeError

CSV: Final = "text/csv"
PARQUET: Final = "application/vnd.apache.parquet"
ARROW_STREAM: Final = "application/vnd.apache.arrow.stream"
ARROW_FILE: Final = "application/vnd.apache.arrow.file"
_ALIASES: Final = {"application/x-parquet": PARQUET}
MEDIA_TYPES: Final = (CSV, PARQUET, ARROW_STREAM, ARROW_FILE)
_CSV_BLOCK = 4 << 20
_UTF8_CHUNK = 4 << 20


def media_type(header: str | None) -> str:
    """The canonical media type of a Content-Type header, or ``UnsupportedMediaTypeError``."""
    raw, _, params = (header or "").partition(";")
    kind = _ALIASES.get(raw.strip().lower(), raw.strip().lower())
    if kind not in MEDIA_TYPES:
        raise UnsupportedMediaTypeError(
            f"Content-Type must be one of: {', '.join(MEDIA_TYPES)}", accepted=list(MEDIA_TYPES)
        )
    charset = _param(params, "charset")
    if kind == CSV and charset not in (None, "utf-8", "utf8", "us-ascii"):
        raise UnsupportedMediaTypeError("CSV must be UTF-8 encoded", accepted=list(MEDIA_TYPES))
    return kind


def read_upload(body: IO[bytes], kind: str) -> pa.Table:
    """Parse the whole body (positioned anywhere) as ``kind``; an empty result is a 400."""
    data = _buffer(body)
    try:
        if kind == CSV:
            table = _read_csv(data)
        elif kind == PARQUET:
            table = pq.ParquetFile(pa.BufferReader(data)).read()
        elif kind == ARROW_STREAM:
            table = ipc.open_stream(data).read_all()
        else:
            table = ipc.open_file(data).read_all()
    except MalformedUploadError:
        raise
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise MalformedUploadError(_describe(kind, exc)) from None
    if table.num_rows == 0:
        raise MalformedUploadError("the upload contains no data rows")
    return table


def _buffer(body: IO[bytes]) -> pa.Buffer:
    """The whole body as one Arrow buffer; a body spooled to disk is memory-mapped, not copied.

    Arrow then reads from memory (IPC batches zero-copy) instead of pulling the body through
    Python ``read`` calls. ``_rolled`` is False only for a SpooledTemporaryFile still in memory,
    whose ``fileno()`` would first write it to disk.
    """
    if getattr(body, "_rolled", True):
        try:
            fd = body.fileno()
            if os.fstat(fd).st_size:
                return pa.py_buffer(mmap.mmap(fd, 0, access=mmap.ACCESS_READ))
        except OSError:  # io.UnsupportedOperation: in-memory streams have no descriptor
            pass
    body.seek(0)
    return pa.py_buffer(body.read())


def _read_csv(data: pa.Buffer) -> pa.Table:
    names = _csv_header(data)
    _check_utf8(data)  # before pyarrow: its bad-row callback cannot decode non-UTF-8 records
    bad: list[pacsv.InvalidRow] = []

    def _on_invalid(row: pacsv.InvalidRow) -> str:
        bad.append(row)
        return "error"

    try:
        # open_csv already parses the first block, so it belongs inside the try.
        reader = pacsv.open_csv(
            pa.BufferReader(data),
            # Single-threaded so pyarrow can number a bad record; quoted newlines are allowed
            # (free-text columns), so the number counts records, not physical lines.
            read_options=pacsv.ReadOptions(use_threads=False, block_size=_CSV_BLOCK),
            parse_options=pacsv.ParseOptions(
                newlines_in_values=True, invalid_row_handler=_on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=False
            ),
        )
        return reader.read_all()
    except pa.ArrowInvalid as exc:
        if bad:
            row = bad[0]
            where = f"record {row.number} (the header is record 1)" if row.number else "a record"
            raise MalformedUploadError(
                f"CSV {where}: expected {row.expected_columns} fields, got {row.actual_columns}",
                record=row.number,
            ) from None
        raise MalformedUploadError(_describe(CSV, exc, names)) from None


def _check_utf8(data: pa.Buffer) -> None:
    """Refuse a body that is not UTF-8, naming the byte offset (never the bytes)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view, size = memoryview(data), data.size
    for start in range(0, size, _UTF8_CHUNK):
        try:
            decoder.decode(view[start : start + _UTF8_CHUNK], final=start + _UTF8_CHUNK >= size)
        except UnicodeDecodeError as exc:
            offset = start + exc.start
            raise MalformedUploadError(f"CSV: invalid UTF-8 data at byte {offset}") from None


def _csv_header(data: pa.Buffer) -> list[str]:
    head = data[: 1 << 20].to_pybytes()
    if not head.strip():
        raise MalformedUploadError("the upload is empty")
    text = head.decode("utf-8-sig", errors="replace")
    try:
        names = next(csv.reader(io.StringIO(text)))
    except (csv.Error, StopIteration):
        raise MalformedUploadError("CSV line 1: cannot read the header row") from None
    names = [n.strip() for n in names]
    if any(not n for n in names):
        raise MalformedUploadError("CSV line 1: the header has an empty column name")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise MalformedUploadError(f"CSV line 1: duplicate column name(s): {', '.join(dupes)}")
    return names


def _describe(kind: str, exc: Exception, names: list[str] | None = None) -> str:
    """A cause without cell contents (pyarrow messages can quote a whole row)."""
    msg = str(exc)
    if kind == CSV:
        if "invalid UTF8" in msg:
            col = _csv_column(msg, names)
            return f"CSV column {col}: invalid UTF-8 data" if col else "CSV: invalid UTF-8 data"
        if "Empty CSV file" in msg:
            return "the upload is empty"
        return "CSV could not be parsed"
    label = {PARQUET: "Parquet", ARROW_STREAM: "Arrow IPC stream", ARROW_FILE: "Arrow IPC file"}
    return f"the body is not a valid {label[kind]}"


def _csv_column(msg: str, names: list[str] | None) -> str | None:
    marker = "column #"
    if marker not in msg or not names:
        return None
    digits = msg.split(marker, 1)[1].split(":", 1)[0]
    return repr(names[int(digits)]) if digits.isdigit() and int(digits) < len(names) else None


def _param(params: str, name: str) -> str | None:
    for part in params.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"').lower()
    return None
