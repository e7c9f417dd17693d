"""The OPA server backend fails closed: unreachable, slow, broken or missing policy."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator

import pytest

from gateway.policy.errors import PolicyUnavailableError
from gateway.policy.opa import OpaPolicyEngine
from gateway.policy.port import VIEWS_DECISION

SUBJECT = {"org": "safe-harbour", "sector": "ngo", "roles": ["analyst"], "purpose": None}
QUERY = {
    "subject": SUBJECT,
    "action": "view.list",
    "resource": {
        "dataset": "incident_reports",
        "view": "incident_hotspots",
        "dims": [],
        "filters": {},
    },
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_socket() -> Iterator[socket.socket]:
    """A TCP socket that completes handshakes (listen backlog) and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock
    finally:
        sock.close()


@pytest.fixture
def silent_server(silent_socket: socket.socket) -> str:
    return f"http://127.0.0.1:{silent_socket.getsockname()[1]}"


def _connection_attempts(sock: socket.socket) -> int:
    """How many connections the client opened (each waits in the backlog until accepted)."""
    sock.setblocking(False)
    count = 0
    while True:
        try:
            conn, _ = sock.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


class _Broken(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        status = 500 if self.path.endswith("/boom") else 200
        body = b"<html>not json</html>"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def broken_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Broken)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_opa_is_unavailable() -> None:
    engine = OpaPolicyEngine(f"http://127.0.0.1:{_free_port()}", timeout_seconds=1.0)
    with pytest.raises(PolicyUnavailableError):
        engine.decide(VIEWS_DECISION, QUERY)
    with pytest.raises(PolicyUnavailableError):
        engine.ping()


def test_slow_opa_times_out_without_retries(
    silent_server: str, silent_socket: socket.socket
) -> None:
    engine = OpaPolicyEngine(silent_server, timeout_seconds=0.3)
    with pytest.raises(PolicyUnavailableError) as info:
        engine.decide(VIEWS_DECISION, QUERY)
    assert _connection_attempts(silent_socket) == 1  # no hidden retries multiplying the timeout
    assert info.value.status == 503
    assert info.value.type.endswith("/policy-unavailable")


def test_non_json_answer_is_unavailable(broken_server: str) -> None:
    engine = OpaPolicyEngine(broken_server, timeout_seconds=1.0)
    with pytest.raises(PolicyUnavailableError):
        engine.decide(VIEWS_DECISION, QUERY)


_ANSWERS = {  # what a faulty OPA answers per decision path (JSON, HTTP 200)
    "undefined": b"{}",
    "null": b'{"result": null}',
    "non_boolean": b'{"result": {"allow": "true", "reasons": []}}',
    "no_obligations": b'{"result": {"allow": true, "reasons": []}}',
    "bad_obligations": b'{"result": {"allow": true, "reasons": [], "obligations": {"min_k": 5}}}',
    "not_an_object": b"[]",
}


class _Faulty(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = _ANSWERS[self.path.rsplit("/", 1)[-1]]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _Broken.do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("answer", sorted(_ANSWERS))
def test_malformed_or_undefined_decision_is_unavailable(answer: str) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Faulty)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        engine = OpaPolicyEngine(f"http://127.0.0.1:{server.server_address[1]}", timeout_seconds=1)
        with pytest.raises(PolicyUnavailableError) as info:  # an engine fault, never a deny
            engine.decide(f"beacon/faulty/{answer}", QUERY)
        assert info.value.status == 503
    finally:
        server.shutdown()
        server.server_close()


def test_server_error_is_unavailable(broken_server: str) -> None:
    engine = OpaPolicyEngine(broken_server, timeout_seconds=1.0)
    with pytest.raises(PolicyUnavailableError):
        engine.decide("beacon/boom", QUERY)


@pytest.mark.parametrize("url", ["ftp://x:1", "127.0.0.1:8181", "http://127.0.0.1:8181/prefix"])
def test_bad_url_rejected(url: str) -> None:
    with pytest.raises(ValueError, match="OPA url"):
        OpaPolicyEngine(url, timeout_seconds=1.0)


@pytest.mark.integration
def test_missing_policy_path_is_an_engine_fault(opa_engine: OpaPolicyEngine) -> None:
    with pytest.raises(PolicyUnavailableError):  # OPA answers {}: 503, not a 403 "no grant"
        opa_engine.decide("beacon/missing/decision", QUERY)


@pytest.mark.integration
def test_ping_and_allow_on_real_opa(opa_engine: OpaPolicyEngine) -> None:
    opa_engine.ping()
    assert opa_engine.decide(VIEWS_DECISION, QUERY).allow
