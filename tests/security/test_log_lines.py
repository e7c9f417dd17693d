"""The gateway's stderr is JSON, one line per event, with client faults at warning level.

Runs `beacon serve` as a real subprocess and reads everything it wrote to stderr: a binary-junk
CSV (valid header, non-UTF-8 records) and a client that disconnects mid-body must not print a
raw traceback, and the disconnect is one warning line, not an error with two tracebacks.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from gateway.serving import free_port

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parents[2]
BEACON = str(Path(sys.executable).parent / "beacon")


def _wait_until_up(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert proc.poll() is None, "gateway exited"
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise TimeoutError("gateway did not start")


def _disconnect_mid_body(port: int, token: str) -> None:
    head = (
        "POST /v1/datasets/incident_reports/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
        "Idempotency-Key: disconnect-0001\r\nContent-Length: 100000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(head.encode() + b"report_id,country\n" + b"r,IT\n" * 200)
        time.sleep(0.5)  # the body is being read when the client goes away


def test_stderr_is_json_lines_and_client_faults_are_warnings(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    env |= {
        "BEACON_DATA_DIR": str(tmp_path / "var"),
        "BEACON_CONTRACTS_DIR": str(REPO / "contracts"),
        "BEACON_POLICY__POLICY_DIR": str(REPO / "policies"),
        "BEACON_INGEST__VALIDATOR": "arrow",
        "BEACON_LOG_JSON": "true",
    }
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    stderr = tmp_path / "stderr.log"
    with stderr.open("wb") as sink:
        proc = subprocess.Popen(
            [BEACON, "serve", "--port", str(port)], env=env, stderr=sink, stdout=sink, cwd=REPO
        )
        try:
            _wait_until_up(url, proc)
            admin = {"env": env, "cwd": REPO, "check": True, "capture_output": True}
            subprocess.run(
                [BEACON, "orgs", "add", "ngo", "--name", "N", "--sector", "ngo"], **admin
            )
            add = ["clients", "add", "--org", "ngo", "--role", "uploader", "--json"]
            made = subprocess.run([BEACON, *add], **admin)
            client = json.loads(made.stdout)
            token = httpx.post(
                f"{url}/oauth/token",
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], client["client_secret"]),
            ).json()["access_token"]
            junk = b"report_id,country,victim_count\n" + bytes(range(256)) * 40 + b"\n"
            r = httpx.post(
                f"{url}/v1/datasets/incident_reports/batches",
                content=junk,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "text/csv",
                    "Idempotency-Key": "junk-0001",
                },
            )
            assert r.status_code == 400, r.text
            _disconnect_mid_body(port, token)
            time.sleep(1.0)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    lines = [line for line in stderr.read_text().splitlines() if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not_json == []
    events = [json.loads(line) for line in lines]  # every line is one JSON event
    assert not [e for e in events if e.get("level") in ("error", "critical", "exception")], events
    disconnects = [e for e in events if e["event"] == "http.client_disconnected"]
    assert len(disconnects) == 1 and disconnects[0]["level"] == "warning"
    assert not any("exception" in e for e in events)  # no traceback anywhere
    assert "UTF-8" in r.json()["detail"]  # refused before pyarrow's bad-row callback chokes
