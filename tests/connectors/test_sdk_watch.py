"""``connectors.Client`` (typed results, resume, status) and ``beacon-connect watch``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from rich.console import Console

import connectors
from connectors.commands import watch
from connectors.errors import SourceError
from connectors.synthetic.synth import generate
from tests.connectors.conftest import write_profile
from tests.connectors.live import LiveGateway, live

pytestmark = pytest.mark.integration
__all__ = ["live"]
IDENTITY = """
[datasets.incident_reports]
identity = true
pseudonymised_upstream = ["report_id"]
send_free_text = ["narrative"]
"""


def test_client_pushes_tables_and_files_with_typed_results(
    live: LiveGateway, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, live.profile_text(IDENTITY))
    table = generate("incident_reports", 120, seed=9)
    with connectors.Client(profile, state_dir=tmp_path / "state") as beacon:
        preview = beacon.dry_run("incident_reports", table)
        assert (preview.rows, preview.valid, preview.rejected) == (120, 120, 0)
        assert live.stored().num_rows == 0
        pq.write_table(table, tmp_path / "cases.parquet")
        first = beacon.push("incident_reports", tmp_path / "cases.parquet", batch_rows=50)
        again = beacon.push("incident_reports", tmp_path / "cases.parquet", batch_rows=50)
        with pytest.raises(SourceError, match="file not found"):
            beacon.push("incident_reports", tmp_path / "missing.csv")
        history = beacon.status()
    assert isinstance(first, connectors.PushResult)
    assert (first.rows, first.accepted, first.rejected, len(first.batch_ids)) == (120, 120, 0, 3)
    assert first.rejected_rows_file is None
    assert again.resumed_chunks == 3 and again.batch_ids == first.batch_ids
    assert live.stored().num_rows == 120
    assert [r.push_id for r in history] == [first.push_id]
    assert history[0].complete


def test_watch_pushes_files_that_appear_and_skips_its_own_outputs(
    live: LiveGateway, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, live.profile_text(IDENTITY))
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pacsv.write_csv(generate("incident_reports", 40, seed=1), inbox / "monday.csv")
    (inbox / "monday.rejected.csv").write_text("source_row,batch_id,reasons\n")
    stop = threading.Event()
    console = Console(file=open(tmp_path / "watch.log", "w", buffering=1), width=200)  # noqa: SIM115
    client = connectors.Client(profile, state_dir=tmp_path / "state")
    worker = threading.Thread(
        target=watch.run,
        args=(client, inbox, "incident_reports"),
        kwargs={"out": console, "err": console, "stop": stop},
    )
    worker.start()
    try:
        deadline = time.monotonic() + 120
        while "Watching" not in (tmp_path / "watch.log").read_text():
            assert time.monotonic() < deadline
            time.sleep(0.2)
        time.sleep(0.5)  # the watcher is past its first scan and listening
        assert live.stored().num_rows == 40
        pacsv.write_csv(generate("incident_reports", 30, seed=2), inbox / "tuesday.csv")
        while live.stored().num_rows < 70:
            assert time.monotonic() < deadline, (tmp_path / "watch.log").read_text()
            time.sleep(0.2)
    finally:
        stop.set()
        worker.join(timeout=30)
        client.close()
        console.file.close()
    log = (tmp_path / "watch.log").read_text()
    assert "monday.csv: 40 accepted" in log and "tuesday.csv: 30 accepted" in log
    assert "rejected.csv:" not in log
    assert live.stored().num_rows == 70
    with (
        connectors.Client(profile, state_dir=tmp_path / "state") as again,
        (tmp_path / "once.log").open("w") as log_file,
    ):
        quiet = Console(file=log_file)
        assert watch.run(again, inbox, "incident_reports", out=quiet, err=quiet, once=True) == 2
    assert live.stored().num_rows == 70  # a second pass sends nothing again
