"""Run the gateway as its own process (uvicorn), as in production, for the benchmark.

A server thread inside the benchmark process would share the GIL with the load generator and
understate the gateway.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from gateway.serving import free_port
from gateway.settings import Settings


def settings_env(settings: Settings) -> dict[str, str]:
    """The BEACON_* environment that reproduces ``settings`` in another process."""
    return {
        "BEACON_DATA_DIR": str(settings.data_dir),
        "BEACON_CONTRACTS_DIR": str(settings.contracts_dir),
        "BEACON_LOG_LEVEL": settings.log_level,
        "BEACON_DATABASE__URL": settings.database.url.get_secret_value(),
        "BEACON_STORE__URI": settings.store.uri,
        "BEACON_POLICY__BACKEND": settings.policy.backend,
        "BEACON_POLICY__POLICY_DIR": str(settings.policy.policy_dir),
        "BEACON_INGEST__VALIDATOR": settings.ingest.validator,
        "BEACON_INGEST__MAX_BODY_BYTES": str(settings.ingest.max_body_bytes),
    }


@contextmanager
def serve_process(settings: Settings, *, timeout: float = 90.0) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, **settings_env(settings)}
    cmd = [
        sys.executable,
        "-m",
        "uvicorn",
        "gateway.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    proc = subprocess.Popen(cmd, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gateway exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("gateway did not become ready")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
