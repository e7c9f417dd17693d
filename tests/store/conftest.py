"""A real S3 API (moto server on a loopback port) for the store's object-storage path.

moto runs in its own process, not ``ThreadedMotoServer``: some delta-rs 1.6 calls (history,
is_deltatable) block while holding the GIL, which would deadlock an in-process server thread.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from pydantic import SecretStr

from gateway.settings import Settings
from gateway.store.delta import DeltaStore


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    port = _free_port()
    server = Path(sys.executable).parent / "moto_server"
    proc = subprocess.Popen(
        [str(server), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("moto server did not start")
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def s3_settings(moto_endpoint: str, tmp_path: Path) -> Settings:
    bucket = "beacon-" + uuid.uuid4().hex[:10]
    boto3.client(
        "s3",
        endpoint_url=moto_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).create_bucket(Bucket=bucket)
    s = Settings(data_dir=tmp_path / "var")
    s.store.uri = f"s3://{bucket}/beacon"
    s.store.s3_endpoint_url = moto_endpoint
    s.store.s3_access_key_id = SecretStr("testing")
    s.store.s3_secret_access_key = SecretStr("testing")
    s.store.s3_allow_http = True
    return s


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> DeltaStore:
    """The same store tests on a local folder and on S3 (moto)."""
    if request.param == "local":
        s = Settings(data_dir=tmp_path / "var")
        s.store.uri = str(tmp_path / "store")
        return DeltaStore.from_settings(s)
    return DeltaStore.from_settings(request.getfixturevalue("s3_settings"))
