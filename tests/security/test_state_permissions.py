"""Local state is private: every directory the gateway creates is 0700, every file 0600.

Runs the real app on SQLite with a local Delta store, uploads a batch with quarantined rows and
cuts nothing else: the database (and its WAL), the signing key, the Delta table and the
quarantine all land on disk, then every path under the state roots is checked.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from connectors.synthetic.corrupt import inject_errors
from connectors.synthetic.synth import generate
from gateway.app import create_app
from gateway.auth.tokens import TokenService
from gateway.db import build_engine
from tests.security.live import csv_bytes, make_settings, seed_clients

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture
def restore_umask() -> Iterator[None]:
    before = os.umask(0o022)
    os.umask(before)
    try:
        yield
    finally:
        os.umask(before)


def test_state_directories_are_0700_and_files_0600(tmp_path: Path, restore_umask: None) -> None:
    os.umask(0o022)  # a typical login umask: what made the demo's state world-readable
    root = tmp_path / "state"  # does not exist yet: the gateway creates all of it
    settings = make_settings(root, f"sqlite:///{root / 'var' / 'beacon.db'}")
    settings.ingest.max_body_bytes = 1 << 20
    app = create_app(settings)
    with TestClient(app) as client:
        engine = build_engine(settings)
        try:
            clients = seed_clients(settings, engine)
            cid, secret = clients["ngo_uploader"]
            token = TokenService.from_settings(settings, engine).issue(cid, secret)
        finally:
            engine.dispose()
        rows, _ = inject_errors(generate("incident_reports", 30, seed=3), 0.2, seed=1)
        r = client.post(
            "/v1/datasets/incident_reports/batches",
            content=csv_bytes(rows),
            headers={
                "Authorization": f"Bearer {token['access_token']}",
                "Content-Type": "text/csv",
                "Idempotency-Key": "perm-0001",
            },
        )
        assert r.status_code == 201, r.text
        assert r.json()["accepted"] > 0 and r.json()["rejected"] > 0
    paths = [root, *root.rglob("*")]
    kinds = {p.suffix for p in paths if p.is_file()}
    assert {".db", ".parquet", ".json", ".pem"} <= kinds, kinds  # DB, Delta, log, key
    loose = [
        (str(p.relative_to(tmp_path)), oct(stat.S_IMODE(p.stat().st_mode)))
        for p in paths
        if stat.S_IMODE(p.stat().st_mode) & 0o077
    ]
    assert loose == []
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in paths if p.is_dir())
