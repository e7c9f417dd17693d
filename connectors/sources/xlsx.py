"""Excel source (.xlsx, .xlsm, .xls, .ods) via python-calamine, read row by row into batches.

Cells become strings the way a partner reads them (``12``, not ``12.0``; dates as ISO 8601), so
spreadsheets and CSV files go through the same contract parsing. A header with merged, empty or
repeated cells is refused with the cell it concerns: guessing which column a value belongs to
would put data in the wrong place.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
from python_calamine import CalamineError, CalamineWorkbook

from connectors.errors import SourceError
from connectors.sources.base import SourceOptions, int_option, no_other_options, str_option

KIND = "xlsx"
DEFAULT_BATCH_ROWS = 65_536


class XlsxSource:
    """One sheet of a workbook (the first unless ``sheet`` names one); row 1 is the header."""

    kind = KIND

    def __init__(
        self, path: Path, *, sheet: str | None = None, batch_rows: int = DEFAULT_BATCH_ROWS
    ) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: file not found")
        self._path = path
        self._sheet_name = sheet
        self._height = 0
        self._batch_rows = batch_rows
        with self._open() as (_, rows):
            header = next(rows, None)
            self.row_count: int | None = self._height - 1 if self._height else None
        if header is None:
            raise SourceError(f"{path}: the sheet is empty (no header row)")
        self._schema = pa.schema([(name, pa.string()) for name in self._header(header)])

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        width = len(self._schema)
        with self._open() as (_, rows):
            next(rows, None)
            buffer: list[list[str | None]] = []
            for row in rows:
                cells = [_cell(v) for v in row[:width]]
                if all(c is None for c in cells):
                    continue  # blank spreadsheet rows are layout, not records
                buffer.append(cells + [None] * (width - len(cells)))
                if len(buffer) >= self._batch_rows:
                    yield self._batch(buffer)
                    buffer = []
            if buffer:
                yield self._batch(buffer)

    def _batch(self, rows: list[list[str | None]]) -> pa.RecordBatch:
        columns = [pa.array([r[i] for r in rows], pa.string()) for i in range(len(self._schema))]
        return pa.RecordBatch.from_arrays(columns, schema=self._schema)

    def _header(self, header: list[Any]) -> list[str]:
        names: list[str] = []
        for i, value in enumerate(header):
            name = _cell(value)
            cell = f"{_column_letter(i)}1"
            if name is None or not name.strip():
                if all(_cell(v) is None for v in header[i:]):
                    break  # trailing empty cells
                raise SourceError(f"{self._path}: header cell {cell} is empty")
            if name in names:
                raise SourceError(f"{self._path}: header cell {cell} repeats column {name!r}")
            names.append(name.strip())
        return names

    def _open(self) -> _Opened:
        return _Opened(self)


class _Opened:
    """Context manager: the workbook and a row iterator of the chosen sheet."""

    def __init__(self, source: XlsxSource) -> None:
        self._source = source
        self._book: CalamineWorkbook | None = None

    def __enter__(self) -> tuple[CalamineWorkbook, Iterator[list[Any]]]:
        path = self._source._path
        try:
            self._book = CalamineWorkbook.from_path(str(path))
            name = self._source._sheet_name
            if name is not None and name not in self._book.sheet_names:
                have = ", ".join(self._book.sheet_names)
                raise SourceError(f"{path}: no sheet named {name!r} (sheets: {have})")
            sheet = (
                self._book.get_sheet_by_name(name)
                if name is not None
                else self._book.get_sheet_by_index(0)
            )
            for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []:
                if r0 == 0 and (c1 > c0 or r1 > r0):
                    raise SourceError(
                        f"{path}: header cells {_column_letter(c0)}1:{_column_letter(c1)}"
                        f"{r1 + 1} are merged; unmerge them so each column has its own name"
                    )
            self._source._height = sheet.total_height
            return self._book, iter(sheet.iter_rows())
        except CalamineError as exc:
            raise SourceError(f"{path}: unreadable spreadsheet ({exc})") from None

    def __exit__(self, *exc: object) -> None:
        if self._book is not None:
            self._book.close()


def _cell(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def open_xlsx(location: str, options: SourceOptions) -> XlsxSource:
    no_other_options(KIND, options, {"sheet", "batch_rows"})
    return XlsxSource(
        Path(location),
        sheet=str_option(options, "sheet"),
        batch_rows=int_option(options, "batch_rows", DEFAULT_BATCH_ROWS),
    )
