"""The Rego itself: opa test (with coverage), opa fmt and opa check --strict must pass."""

from __future__ import annotations

import json
import subprocess

from tests.policy.conftest import POLICY_DIR

COVERAGE_THRESHOLD = 95.0


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, check=False, timeout=120)


def test_opa_test_passes(opa_binary: str) -> None:
    # policies/schema holds JSON Schemas for editors, not data (OPA would merge them all).
    proc = _run(opa_binary, "test", str(POLICY_DIR), "--ignore", "schema", "-v")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "FAIL" not in proc.stdout


def test_opa_test_coverage(opa_binary: str) -> None:
    proc = _run(
        opa_binary, "test", str(POLICY_DIR), "--ignore", "schema", "--coverage", "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["coverage"] >= COVERAGE_THRESHOLD


def test_opa_fmt_clean(opa_binary: str) -> None:
    proc = _run(opa_binary, "fmt", "--list", "--fail", str(POLICY_DIR))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_opa_check_strict(opa_binary: str) -> None:
    proc = _run(opa_binary, "check", "--strict", str(POLICY_DIR))
    assert proc.returncode == 0, proc.stdout + proc.stderr
