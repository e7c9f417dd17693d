"""The layer rules (pyproject's import-linter contracts) hold, and really catch a breach.

The first test is what CI runs anyway (`lint-imports` in tests/run.sh); the second plants one
forbidden import per rule in a copy of the packages and checks that exactly that rule breaks,
so a contract that silently matches nothing (a renamed module, a typo) cannot pass unnoticed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")

KERNEL, POLICY, STORE = "The kernel", "Policy decides on its input only", "The store knows no"
CONNECTORS, CONTRACTS = "Connectors never import gateway", "The partner contract library"
READING = "Reading never imports writing"
# (module file to edit, import to plant, the contracts that must then break — and no other)
PLANTS = [
    ("gateway/settings.py", "import gateway.views", {KERNEL}),
    ("gateway/policy/port.py", "import duckdb", {POLICY}),
    ("gateway/store/delta.py", "import gateway.policy", {STORE}),
    ("connectors/mapping.py", "import gateway.store", {CONNECTORS}),
    # connectors import the contract library, so its breach reaches them too
    ("gateway/contracts/model.py", "import fastapi", {CONTRACTS, CONNECTORS}),
    ("gateway/views/render.py", "import gateway.ingest", {READING}),
]


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root), "COLUMNS": "250"}
    return subprocess.run(
        [str(LINT), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    for name in ("gateway", "connectors"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_layer_contracts_hold() -> None:
    result = _lint(REPO)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("path", "line", "contracts"), PLANTS, ids=[p[1] for p in PLANTS])
def test_a_planted_forbidden_import_breaks_its_contract(
    tmp_path: Path, path: str, line: str, contracts: set[str]
) -> None:
    root = _copy(tmp_path)
    target = root / path
    text = target.read_text(encoding="utf-8")
    head, sep, rest = text.partition("from __future__ import annotations\n")
    target.write_text(f"{head}{sep}\n{line}  # planted\n{rest}", encoding="utf-8")
    result = _lint(root)
    assert result.returncode == 1, result.stdout[-3000:]
    broken = [ln for ln in result.stdout.splitlines() if ln.endswith(" BROKEN")]
    named = {c for c in contracts for ln in broken if ln.startswith(c)}
    assert named == contracts and len(broken) == len(contracts), result.stdout[-3000:]
