"""The partner-side code (contracts + connector) imports without the gateway's server stack."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    BLOCKED = ("fastapi", "starlette", "sqlmodel", "duckdb", "deltalake")

    class Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"partner code imported {name}")
            return None

    sys.meta_path.insert(0, Blocker())
    import gateway.contracts
    import gateway.errors
    import connectors

    contracts = gateway.contracts.__path__
    names = ["gateway.contracts." + m.name for m in pkgutil.iter_modules(contracts)]
    names += [m.name for m in pkgutil.walk_packages(connectors.__path__, "connectors.")]
    for name in names:
        importlib.import_module(name)
    print(len(names))
    """
)


def test_contracts_and_connector_import_without_server_stack() -> None:
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert int(proc.stdout.strip()) >= 15


def test_the_blocker_does_block() -> None:
    script = _SCRIPT.replace("import gateway.contracts\n", "import gateway.problems\n", 1)
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert "partner code imported fastapi" in proc.stderr
