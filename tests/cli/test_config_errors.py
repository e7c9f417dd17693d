"""Every `beacon` command reports a bad configuration as one line naming what to set.

Run as real subprocesses (the installed console script), so what an operator sees is tested:
no traceback, one line on stderr, exit code 78 (EX_CONFIG).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli._common import EXIT_CONFIG

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
