"""Serialise a view result once, to bytes: JSON, CSV or an Arrow IPC stream, each receipted.

The privacy receipt travels as ``gateway.privacy.receipt_files`` reads it back: JSON
``"receipt": {"jws", "claims"}``, CSV first line ``# beacon-receipt: <jws>``, Arrow schema
metadata ``beacon.receipt``. The rows it hashes are exactly the rows serialised here.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc

from gateway.privacy.receipt_files import ARROW_METADATA_KEY, csv_receipt_line
from gateway.views.service import ViewResult

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "arrow": "application/vnd.apache.arrow.stream",
}


def render(result: ViewResult, fmt: str) -> bytes:
    if fmt == "csv":
        return csv_receipt_line(result.receipt).encode() + _csv(result.table)
    if fmt == "arrow":
        return _arrow(result)
    return _json(result)


def headers(result: ViewResult) -> dict[str, str]:
    """Disclosure metadata for formats without an envelope (CSV, Arrow)."""
    out = {
        "X-Beacon-Min-K": str(result.min_k),
        "X-Beacon-Min-Contributors": str(result.min_contributors),
        "X-Beacon-Mode": result.mode,
        "X-Beacon-Release": result.release or "",
        "Cache-Control": "no-store",
    }
    if result.cells_not_shown is not None:
        out["X-Beacon-Cells-Not-Shown"] = str(result.cells_not_shown)
    return out


def _metadata(result: ViewResult) -> dict[str, object]:
    return {
        "view": result.view,
        "group_by": list(result.group_by),
        "filters": {k: list(v) for k, v in result.filters.items()},
        "min_k": result.min_k,
        "min_contributors": result.min_contributors,
        "mode": result.mode,
        "cells_not_shown": result.cells_not_shown,
        "release": result.release,
        "generated_at": result.generated_at.isoformat().replace("+00:00", "Z"),
    }


def _json(result: ViewResult) -> bytes:
    body = {
        **_metadata(result),
        "rows": result.table.to_pylist(),
        "receipt": {"jws": result.receipt, "claims": result.receipt_claims},
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _csv(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return sink.getvalue()


def _arrow(result: ViewResult) -> bytes:
    meta = {f"beacon.{k}": json.dumps(v) for k, v in _metadata(result).items()}
    meta[ARROW_METADATA_KEY] = result.receipt
    table = result.table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())
