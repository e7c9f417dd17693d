"""Resume after ``kill -9``: a real ``beacon-connect push`` killed at a random chunk, run again.

The gateway runs in this process (uvicorn on 127.0.0.1); the connector is a subprocess, killed
with SIGKILL once the journal shows a randomly chosen number of acknowledged chunks. The second
run must end with exactly the source's rows in the Delta table: none doubled, none lost.
``BEACON_RESUME_ROWS`` sets the size (default 10^6: 51 s on this machine, see bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from connectors.synthetic.synth import generate
from tests.connectors.conftest import write_profile
from tests.connectors.live import REPO, LiveGateway, live

pytestmark = [pytest.mark.integration, pytest.mark.slow]
__all__ = ["live"]

ROWS = int(os.environ.get("BEACON_RESUME_ROWS", "1000000"))
CHUNK = max(ROWS // 20, 1)
PROFILE = """
[datasets.incident_reports]
identity = true
pseudonymised_upstream = ["report_id"]
send_free_text = ["narrative"]
"""


def _push(profile: Path, source: Path, state: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "BEACON_CONNECT_STATE_DIR": str(state)}
    args = ["-p", str(profile), "-d", "incident_reports", "--batch-rows", str(CHUNK), "--json"]
    return subprocess.Popen(
        [sys.executable, "-m", "connectors", "push", *args, str(source)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _acknowledged(state: Path) -> int:
    journals = list((state / "pushes").glob("*.jsonl")) if (state / "pushes").is_dir() else []
    if not journals:
        return 0
    return sum('"chunk"' in line for line in journals[0].read_text().splitlines())


def test_push_killed_at_a_random_chunk_resumes_to_exactly_the_source_rows(
    live: LiveGateway, tmp_path: Path
) -> None:
    source = tmp_path / "cases.parquet"
    table = generate("incident_reports", ROWS, seed=2026)
    pq.write_table(table, source)
    profile = write_profile(tmp_path, live.profile_text(PROFILE))
    state = tmp_path / "state"
    chunks = -(-ROWS // CHUNK)
    kill_after = random.Random().randint(1, chunks - 2)

    first = _push(profile, source, state)
    deadline = time.monotonic() + 600
    while _acknowledged(state) < kill_after:
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        assert time.monotonic() < deadline
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.communicate()
    assert first.returncode == -signal.SIGKILL
    stored_before = live.stored().num_rows
    assert 0 < stored_before < ROWS, (kill_after, stored_before)

    second = _push(profile, source, state)
    out, err = second.communicate(timeout=900)
    assert second.returncode == 0, err.decode()
    summary = json.loads(out)
    assert summary["rows"] == ROWS and summary["resumed_chunks"] >= kill_after
    assert len(summary["batch_ids"]) == chunks

    stored = live.stored()
    ids = stored.column("report_id")
    assert stored.num_rows == ROWS
    assert pc.count_distinct(ids).as_py() == ROWS
    assert set(ids.to_pylist()) == set(table.column("report_id").to_pylist())

    status = subprocess.run(
        [sys.executable, "-m", "connectors", "status", "--json"],
        cwd=REPO,
        env={**os.environ, "BEACON_CONNECT_STATE_DIR": str(state)},
        capture_output=True,
        check=True,
    )
    (push,) = json.loads(status.stdout)["pushes"]
    assert push["complete"] and push["rows"] == ROWS and push["accepted"] == ROWS
    assert push["batch_ids"] == summary["batch_ids"]
