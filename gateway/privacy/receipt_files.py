"""Where a receipt travels in each output format, and how to read it (and the rows) back.

- JSON view answer: an object with ``"rows"`` (a list of objects) and ``"receipt": {"jws": …}``.
- CSV: the first line is ``# beacon-receipt: <jws>``; the rest is the CSV (header + rows).
- Arrow IPC stream: schema metadata ``beacon.receipt`` holds the JWS (plain, or JSON-encoded as
  a string or as ``{"jws": …}``, like the other ``beacon.*`` metadata values).

Defends the verifier against being fooled by its input: it never trusts a format guess beyond
these three shapes, and the rows it hashes are the ones in the file, read the same way the
signer serialised them (see ``receipts.canonical_rows``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from typing import Any

import pyarrow as pa
import pyarrow.ipc as ipc

from gateway.privacy.errors import ReceiptInvalidError

CSV_PREFIX = "# beacon-receipt: "
ARROW_METADATA_KEY = "beacon.receipt"
_ARROW_STREAM_MAGIC = b"\xff\xff\xff\xff"


def csv_receipt_line(token: str) -> str:
    """The first line of a receipted CSV (the signer writes it before the CSV itself)."""
    return f"{CSV_PREFIX}{token}\n"


def read_receipted(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    """(jws, rows) from a JSON answer, a receipted CSV or an Arrow IPC stream."""
    if data.startswith(_ARROW_STREAM_MAGIC):
        return _from_arrow(data)
    if data.startswith(CSV_PREFIX.rstrip().encode()):
        return _from_csv(data)
    return _from_json(data)


def _from_json(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptInvalidError("not a JSON answer, a receipted CSV or an Arrow stream") from exc
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        raise ReceiptInvalidError("the JSON answer has no rows")
    if not all(isinstance(row, dict) for row in body["rows"]):
        raise ReceiptInvalidError("the JSON answer's rows are not objects")
    return _token(body.get("receipt")), body["rows"]


def _from_csv(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReceiptInvalidError("the CSV is not UTF-8") from exc
    first, _, rest = text.partition("\n")
    token = first.removeprefix(CSV_PREFIX.rstrip()).strip()
    rows = [dict(row) for row in csv.DictReader(io.StringIO(rest))]
    return _token(token), rows


def _from_arrow(data: bytes) -> tuple[str, list[dict[str, Any]]]:
    try:
        table = ipc.open_stream(pa.py_buffer(data)).read_all()
    except (pa.ArrowException, OSError) as exc:
        raise ReceiptInvalidError("the Arrow stream cannot be read") from exc
    raw = (table.schema.metadata or {}).get(ARROW_METADATA_KEY.encode())
    if raw is None:
        raise ReceiptInvalidError(f"the Arrow schema has no {ARROW_METADATA_KEY} metadata")
    value: Any = raw.decode("utf-8", errors="replace")
    with contextlib.suppress(ValueError):  # else a bare JWS
        value = json.loads(value)
    return _token(value), table.to_pylist()


def _token(value: Any) -> str:
    if isinstance(value, dict):
        value = value.get("jws")
    if not isinstance(value, str) or value.count(".") != 2:
        raise ReceiptInvalidError("no receipt found (expected a compact JWS)")
    return value
