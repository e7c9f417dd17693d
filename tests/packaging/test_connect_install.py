"""The partner line installs alone: a fresh venv from the connect lock runs ``beacon-connect``.

Proves the package split holds: the base install (``beacon[connect]``) carries the connector
and the contract library without the gateway's server stack (no FastAPI, SQLModel, DuckDB,
deltalake, GX, ...), and validating the NGO example works there offline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SERVER_STACK = ("fastapi", "uvicorn", "sqlmodel", "duckdb", "deltalake", "great_expectations")

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")
    uv = str(found) if found.exists() else shutil.which("uv")
    assert uv, "uv is installed by `make venv` (requirements-gateway.lock)"
    return uv


def _run(*argv: str | Path, cwd: Path = REPO, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, (argv, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


@pytest.fixture(scope="module")
def connect_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("connect")
    venv, source = root / "venv", root / "src"
    # Build from a copy: building in the checkout would write build/ and egg-info into it.
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for folder in ("gateway", "connectors"):
        shutil.copytree(REPO / folder, source / folder, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    uv = _uv()
    _run(uv, "venv", "-q", "--python", sys.executable, venv)
    python = venv / "bin" / "python"
    # Exactly the locked connect set, then the project itself without resolving anything more.
    _run(uv, "pip", "install", "-q", "--python", python, "-r", REPO / "requirements-connect.lock")
    _run(uv, "pip", "install", "-q", "--python", python, "--no-deps", source)
    return venv


def test_server_stack_is_not_installed(connect_venv: Path) -> None:
    probe = "import importlib.util as u, sys; print([m for m in sys.argv[1:] if u.find_spec(m)])"
    assert _run(connect_venv / "bin" / "python", "-c", probe, *SERVER_STACK).strip() == "[]"


def test_beacon_connect_help_and_validate_run(connect_venv: Path, tmp_path: Path) -> None:
    exe = connect_venv / "bin" / "beacon-connect"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "SAFE_HARBOUR_PSEUDONYM_KEY": "0" * 64,
        "COLUMNS": "200",
    }
    assert "validate" in _run(exe, "--help", env=env)
    example = REPO / "connectors" / "examples" / "ngo"
    out = _run(
        exe,
        "validate",
        "-p",
        example / "partner.toml",
        "-d",
        "incident_reports",
        example / "cases.csv",
        cwd=tmp_path,
        env=env,
    )
    assert "47 valid" in out and "3 rejected" in out
    assert "Dry run: nothing was sent." in out
