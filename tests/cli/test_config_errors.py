"""Every `beacon` command reports a bad configuration as one line naming what to set.

Run as real subprocesses (the installed console script), so what an operator sees is tested:
no traceback, one line on stderr, exit code 78 (EX_CONFIG).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.audit.service import AuditLog
from gateway.cli._common import EXIT_CONFIG, EXIT_NO_DATABASE
from gateway.migrations import open_database
from gateway.serving import free_port
from gateway.settings import Settings
from tests.audit.probe import UploadProbe

BEACON = str(Path(sys.executable).parent / "beacon")
REPO = Path(__file__).resolve().parents[2]


def _run(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("BEACON_")}
    return subprocess.run(
        [BEACON, *args],
        cwd=tmp_path,
        env={**clean, "BEACON_DATA_DIR": str(tmp_path / "var"), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _one_line_error(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == EXIT_CONFIG, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_serve_in_production_without_a_signing_key_is_one_line(tmp_path: Path) -> None:
    line = _one_line_error(
        _run(
            ["serve", "--port", "1"],
            tmp_path,
            BEACON_MODE="production",
            BEACON_DATABASE__URL="postgresql+psycopg://u@127.0.0.1:1/db",
        )
    )
    assert "BEACON_AUTH__SIGNING_KEY_PATH" in line


def test_serve_in_production_on_sqlite_names_the_database_url(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("not used: the check fails first")
    line = _one_line_error(
        _run(
            ["serve", "--port", "1"],
            tmp_path,
            BEACON_MODE="production",
            BEACON_AUTH__SIGNING_KEY_PATH=str(key),
        )
    )
    assert "BEACON_DATABASE__URL" in line


@pytest.mark.parametrize(
    "args",
    [["serve", "--port", "1"], ["audit", "verify"], ["orgs", "list"], ["releases", "list"]],
)
def test_a_bad_value_names_its_variable_and_never_echoes_it(
    tmp_path: Path, args: list[str]
) -> None:
    line = _one_line_error(_run(args, tmp_path, BEACON_INGEST__MAX_BODY_BYTES="s3cr3t-value"))
    assert "BEACON_INGEST__MAX_BODY_BYTES" in line
    assert "s3cr3t-value" not in line


ADMIN_COMMANDS = [
    ["audit", "verify"],
    ["audit", "tail"],
    ["orgs", "list"],
    ["orgs", "add", "x-org", "--name", "X", "--sector", "ngo"],
    ["clients", "list"],
    ["releases", "list"],
]


@pytest.mark.parametrize("args", ADMIN_COMMANDS)
def test_admin_commands_refuse_a_missing_database_and_create_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    done = _run(args, tmp_path)  # BEACON_DATA_DIR points at a folder that does not exist
    assert done.returncode == EXIT_NO_DATABASE, (done.stdout, done.stderr)
    assert "no metadata database" in done.stderr and "BEACON_DATA_DIR" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing created: no var/, no beacon.db


def test_a_mistyped_sqlite_url_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'beacn.db'}"
    done = _run(["audit", "verify"], tmp_path, BEACON_DATABASE__URL=url)
    assert done.returncode == EXIT_NO_DATABASE, done.stderr
    assert not (tmp_path / "beacn.db").exists()


def test_an_unreachable_postgresql_is_one_line(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://beacon:pw@127.0.0.1:{free_port()}/beacon"
    done = _run(["audit", "verify"], tmp_path, BEACON_DATABASE__URL=url)
    assert done.returncode == EXIT_NO_DATABASE, done.stderr
    assert "cannot reach the metadata database" in done.stderr
    assert "pw@" not in done.stderr  # the password is never printed
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_audit_verify_reports_length_and_head_of_an_existing_chain(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    engine = open_database(settings)  # what the gateway does at start-up
    try:
        AuditLog(engine).record(UploadProbe(action="create", actor_subject="c1"))
        head = AuditLog(engine).tail(1)[-1]
    finally:
        engine.dispose()
    done = _run(["audit", "verify"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"{head.seq} events" in done.stdout
    assert f"head seq {head.seq} hash {head.hash}" in done.stdout
    as_json = json.loads(_run(["audit", "verify", "--json"], tmp_path).stdout)
    assert (as_json["checked"], as_json["head_seq"], as_json["head_hash"]) == (
        head.seq,
        head.seq,
        head.hash,
    )
