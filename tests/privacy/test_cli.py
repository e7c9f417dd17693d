"""`beacon privacy ptable` and `beacon receipts verify FILE` through the real typer app."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from joserfc.jwk import Key
from typer.testing import CliRunner

from gateway.cli import app
from gateway.privacy.cellkey import default_table
from gateway.privacy.receipts import sign_receipt
from tests.privacy.test_receipts import (
    _arrow_answer,
    _claims,
    _csv_answer,
    _json_answer,
    _jwks,
    _key,
    _table,
)


@pytest.fixture
def key() -> Key:
    return _key()


@pytest.fixture
def jwks_file(tmp_path: Path, key: Key) -> Path:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(_jwks(key)))
    return path


@pytest.fixture
def jwks_url(key: Key) -> Iterator[str]:
    body = json.dumps(_jwks(key)).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


def test_ptable_prints_the_published_table_as_csv_and_json() -> None:
    r = CliRunner().invoke(app, ["privacy", "ptable"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.output)))
    assert {(int(x["n_min"]), int(x["noise"])) for x in rows} == {
        (row.n_min, d) for row in default_table().rows for d in row.noise
    }
    r = CliRunner().invoke(app, ["privacy", "ptable", "--format", "json"])
    assert r.exit_code == 0 and json.loads(r.output)["table_id"] == default_table().table_id
    r = CliRunner().invoke(app, ["privacy", "ptable", "--format", "xml"])
    assert r.exit_code == 1 and "csv or json" in r.output


@pytest.mark.parametrize(
    ("render", "name"),
    [(_json_answer, "a.json"), (_csv_answer, "a.csv"), (_arrow_answer, "a.arrow")],
)
def test_verify_accepts_each_receipted_format(
    tmp_path: Path, key: Key, jwks_file: Path, render: Any, name: str
) -> None:
    table = _table()
    token = sign_receipt(_claims(table.to_pylist(), issued_at=_now()), key)
    path = tmp_path / name
    path.write_bytes(render(table, token))
    r = CliRunner().invoke(app, ["receipts", "verify", str(path), "--jwks", str(jwks_file)])
    assert r.exit_code == 0, r.output
    assert "receipt valid" in r.output and "4 rows match" in r.output


def test_verify_rejects_an_edited_csv_in_one_line(
    tmp_path: Path, key: Key, jwks_file: Path
) -> None:
    table = _table()
    token = sign_receipt(_claims(table.to_pylist(), issued_at=_now()), key)
    path = tmp_path / "a.csv"
    path.write_bytes(_csv_answer(table, token).replace(b",30,", b",31,"))
    r = CliRunner().invoke(app, ["receipts", "verify", str(path), "--jwks", str(jwks_file)])
    assert r.exit_code == 1
    assert r.output.strip().count("\n") == 0 and "do not match" in r.output


def test_verify_fetches_keys_from_a_loopback_gateway_only(
    tmp_path: Path, key: Key, jwks_url: str
) -> None:
    table = _table()
    path = tmp_path / "a.json"
    path.write_bytes(
        _json_answer(table, sign_receipt(_claims(table.to_pylist(), issued_at=_now()), key))
    )
    r = CliRunner().invoke(app, ["receipts", "verify", str(path), "--jwks", jwks_url])
    assert r.exit_code == 0, r.output
    remote = "https://gateway.example/.well-known/jwks.json"
    r = CliRunner().invoke(app, ["receipts", "verify", str(path), "--jwks", remote])
    assert r.exit_code == 1 and "loopback" in r.output


def test_verify_reports_unreadable_inputs_without_a_traceback(tmp_path: Path, key: Key) -> None:
    missing = tmp_path / "missing.json"
    r = CliRunner().invoke(app, ["receipts", "verify", str(missing), "--jwks", str(missing)])
    assert r.exit_code == 1 and "cannot read" in r.output and "Traceback" not in r.output
    answer = tmp_path / "a.json"
    answer.write_bytes(_json_answer(_table(), sign_receipt(_claims([], issued_at=_now()), key)))
    r = CliRunner().invoke(app, ["receipts", "verify", str(answer), "--jwks", str(missing)])
    assert r.exit_code == 1 and "cannot load the key set" in r.output


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
