"""README's administration and connector commands run as written (docs are tested)."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.cli.demo import DEMO_DATA_DIR
from gateway.migrations import open_database
from gateway.settings import Settings

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# `push` needs a running gateway and a client id edited into the profile: covered by the
# e2e and connector tests instead.
SKIP = ("beacon-connect push",)


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.S)
    out = []
    for block in blocks:
        for line in block.splitlines():
            command = line.split("  #")[0].strip()
            if command.startswith(".venv/bin/beacon") and not any(s in command for s in SKIP):
                out.append(command)
    return out


COMMANDS = _readme_commands()


def test_readme_has_the_commands_this_test_runs() -> None:
    assert len(COMMANDS) >= 6, COMMANDS


def test_readme_points_the_admin_commands_at_the_demo_state() -> None:
    text = (REPO / "README.md").read_text()
    assert f"export BEACON_DATA_DIR={DEMO_DATA_DIR}" in text


@pytest.mark.integration
def test_readme_commands_succeed_in_order(tmp_path: Path) -> None:
    # The state a running gateway (the demo) has: the admin commands never create it.
    open_database(Settings(data_dir=tmp_path)).dispose()
    env = {
        **os.environ,
        "BEACON_DATA_DIR": str(tmp_path),
        "BEACON_CONTRACTS_DIR": str(REPO / "contracts"),
        "SAFE_HARBOUR_PSEUDONYM_KEY": "0" * 64,
        "COLUMNS": "200",
    }
    for command in COMMANDS:
        argv = shlex.split(command)
        argv[0] = str(BIN / Path(argv[0]).name)
        done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stdout + done.stderr, command
