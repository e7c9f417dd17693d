"""An in-memory fake of the gateway's token and batch endpoints (for connector unit tests).

Serves the same handler through httpx.MockTransport or a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import httpx
import pyarrow as pa

from gateway.contracts import ContractRegistry, SchemaMismatchError, validate_batch

REPO = Path(__file__).resolve().parents[2]
CLIENT_ID = "safe-harbour-uploader"
CLIENT_SECRET = "s3cret-value-never-printed"
PROBLEM = "application/problem+json"


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeGateway:
    registry: ContractRegistry = field(
        default_factory=lambda: ContractRegistry.load(REPO / "contracts")
    )
    fail_next: list[int] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    results: dict[str, tuple[str, dict[str, object]]] = field(default_factory=dict)
    tokens_issued: int = 0

    @property
    def uploads(self) -> list[Received]:
        return [r for r in self.requests if r.path.endswith("/batches")]

    def handle(
        self, method: str, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        headers = {k.lower(): v for k, v in headers.items()}
        self.requests.append(Received(method, path, headers, body))
        if self.fail_next:
            status = self.fail_next.pop(0)
            return _problem(status, "Injected failure", "try again", {"retry-after": "0"})
        if path == "/oauth/token" and method == "POST":
            return self._token(headers, body)
        if headers.get("authorization") != "Bearer tok-1":
            return _problem(401, "Authentication required", "missing or invalid token")
        parts = path.strip("/").split("/")
        if len(parts) == 4 and parts[:2] == ["v1", "datasets"] and parts[3] == "contract":
            if parts[2] not in self.registry:
                return _problem(404, "Unknown dataset", f"no dataset named {parts[2]!r}")
            return _json(200, self.registry.get(parts[2]).to_dict())
        if len(parts) == 4 and parts[3] == "batches" and method == "POST":
            return self._batch(parts[2], headers, body)
        return _problem(404, "Not found", path)

    def _token(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        form = parse_qs(body.decode())
        if headers.get("authorization") != f"Basic {expected}":
            return _json(401, {"error": "invalid_client", "error_description": "bad credentials"})
        if form.get("grant_type") != ["client_credentials"]:
            return _json(400, {"error": "unsupported_grant_type"})
        self.tokens_issued += 1
        return _json(200, {"access_token": "tok-1", "token_type": "Bearer", "expires_in": 3600})

    def _batch(
        self, dataset: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        key = headers.get("idempotency-key")
        if not key:
            return _problem(400, "Idempotency-Key required", "send an Idempotency-Key header")
        if headers.get("content-type") != "application/vnd.apache.arrow.stream":
            return _problem(415, "Unsupported content type", headers.get("content-type", ""))
        digest = hashlib.sha256(body).hexdigest()
        if key in self.results:
            seen, previous = self.results[key]
            if seen != digest:
                return _problem(409, "Idempotency key reused", "a different body used this key")
            return _json(200, previous, {"Idempotent-Replayed": "true"})
        contract = self.registry.get(dataset)
        table = pa.ipc.open_stream(body).read_all()
        try:
            outcome = validate_batch(contract, table)
        except SchemaMismatchError as exc:
            return _problem(422, exc.title, exc.detail)
        result: dict[str, object] = {
            "batch_id": f"b-{len(self.results) + 1:04d}",
            "dataset": dataset,
            "contract_version": contract.version,
            "status": "committed",
            "accepted": outcome.accepted_count,
            "rejected": outcome.rejected_count,
            "reasons": outcome.reason_counts,
            "links": {},
        }
        self.results[key] = (digest, result)
        return _json(201, result)

    def transport(self) -> httpx.MockTransport:
        def handler(request: httpx.Request) -> httpx.Response:
            status, headers, content = self.handle(
                request.method, request.url.path, dict(request.headers), request.read()
            )
            return httpx.Response(status, headers=headers, content=content)

        return httpx.MockTransport(handler)

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Run on a free loopback port; yields the base URL."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _respond(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                status, headers, content = fake.handle(
                    self.command, self.path, dict(self.headers.items()), body
                )
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _respond

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}"
        finally:
            server.shutdown()
            server.server_close()
            thread.join()


def _json(
    status: int, body: object, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return (
        status,
        {"Content-Type": "application/json", **(headers or {})},
        json.dumps(body).encode(),
    )


def _problem(
    status: int, title: str, detail: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    body = {
        "type": "https://beacon.example/problems/x",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": "req-123",
    }
    return status, {"Content-Type": PROBLEM, **(headers or {})}, json.dumps(body).encode()
