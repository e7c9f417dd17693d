"""A do-nothing gateway for the connector's memory benchmark: tokens, and 201 for every batch.

Runs as its own process, so the connector's peak RSS is measured alone; it reads each body and
counts Arrow rows, nothing else (no validation, no store), so it never slows the connector.

    python -m bench.sink PORT
"""

from __future__ import annotations

import json
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pyarrow as pa


class _Sink(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        return

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path == "/oauth/token":
            payload = {"access_token": "sink", "token_type": "Bearer", "expires_in": 3600}
            return self._json(200, payload)
        rows = pa.ipc.open_stream(body).read_all().num_rows
        payload = {
            "batch_id": str(uuid.uuid4()),
            "dataset": "incident_reports",
            "contract_version": "1.0.0",
            "status": "accepted",
            "accepted": rows,
            "rejected": 0,
        }
        return self._json(201, payload)

    def _json(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), _Sink).serve_forever()
