"""JSON Lines source: one JSON object per line, streamed in batches of ``batch_rows`` lines.

Every value becomes a string the contract then parses (numbers as written, booleans as
``true``/``false``, nested values as compact JSON), so a field that is a number on one line and
text on another does not fail half-way through a large file. The columns are the fields of the
first ``schema_lines`` lines in order of appearance; a later line with another field, or a line
that is not a JSON object, is an error naming the line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from connectors.errors import SourceError
from connectors.sources.base import SourceOptions, int_option, no_other_options

KIND = "jsonl"
DEFAULT_BATCH_ROWS = 65_536
SCHEMA_LINES = 1000


class JsonLinesSource:
    kind = KIND

    def __init__(self, path: Path, *, batch_rows: int = DEFAULT_BATCH_ROWS) -> None:
        if not path.is_file():
            raise SourceError(f"{path}: file not found")
        self._path = path
        self._batch_rows = batch_rows
        names: dict[str, None] = {}
        for i, (_, record) in enumerate(self._records()):
            names.update(dict.fromkeys(record))
            if i + 1 >= SCHEMA_LINES:
                break
        if not names:
            raise SourceError(f"{path}: no JSON objects found")
        self._schema = pa.schema([(n, pa.string()) for n in names])

    @property
    def schema(self) -> pa.Schema:
        return self._schema

    def batches(self) -> Iterator[pa.RecordBatch]:
        names = self._schema.names
        known = set(names)
        buffer: list[dict[str, Any]] = []
        for line_no, record in self._records():
            extra = set(record) - known
            if extra:
                raise SourceError(
                    f"{self._path}: line {line_no} has field(s) {', '.join(sorted(extra))} "
                    f"not in the first {SCHEMA_LINES} lines"
                )
            buffer.append(record)
            if len(buffer) >= self._batch_rows:
                yield self._batch(buffer, names)
                buffer = []
        if buffer:
            yield self._batch(buffer, names)

    def _batch(self, records: list[dict[str, Any]], names: list[str]) -> pa.RecordBatch:
        columns = [pa.array([_text(r.get(n)) for r in records], pa.string()) for n in names]
        return pa.RecordBatch.from_arrays(columns, schema=self._schema)

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            with self._path.open(encoding="utf-8") as handle:
                for line_no, line in enumerate(handle, start=1):
                    if not line.strip():
                        continue
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise SourceError(
                            f"{self._path}: line {line_no} is not valid JSON ({exc.msg})"
                        ) from None
                    if not isinstance(record, dict):
                        raise SourceError(f"{self._path}: line {line_no} is not a JSON object")
                    yield line_no, record
        except UnicodeDecodeError:
            raise SourceError(f"{self._path}: not UTF-8 text (JSON Lines must be UTF-8)") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def open_jsonl(location: str, options: SourceOptions) -> JsonLinesSource:
    no_other_options(KIND, options, {"batch_rows"})
    return JsonLinesSource(
        Path(location), batch_rows=int_option(options, "batch_rows", DEFAULT_BATCH_ROWS)
    )
