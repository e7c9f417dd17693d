"""The lock files keep up with pyproject.toml: every declared requirement is pinned in range.

Fails when a dependency is added or narrowed in pyproject.toml without ``make lock``, so a
fresh ``make demo`` / ``make test`` (which install exactly the lock) cannot miss it.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _pins(lock: str) -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in (REPO / lock).read_text(encoding="utf-8").splitlines():
        spec = line.split(";")[0].strip()
        if spec and not spec.startswith("#") and "==" in spec:
            name, version = spec.split("==")
            pins[canonicalize_name(name.split("[")[0])] = version.strip()
    return pins


def _requirements(*extras: str) -> list[Requirement]:
    declared = [*PROJECT["dependencies"]]
    for extra in extras:
        declared += PROJECT["optional-dependencies"][extra]
    reqs = [Requirement(r) for r in declared]
    return [r for r in reqs if canonicalize_name(r.name) != "beacon"]


@pytest.mark.parametrize(
    ("lock", "extras"),
    [("requirements-connect.lock", ()), ("requirements-gateway.lock", ("gateway", "test"))],
)
def test_every_requirement_is_pinned_within_its_range(lock: str, extras: tuple[str, ...]) -> None:
    pins = _pins(lock)
    problems = []
    for req in _requirements(*extras):
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name}: not in {lock}")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} is outside {req.specifier}")
    assert problems == [], "run `make lock`: " + "; ".join(problems)


def test_connect_lock_has_no_server_stack_and_agrees_with_the_gateway_lock() -> None:
    connect, gateway = _pins("requirements-connect.lock"), _pins("requirements-gateway.lock")
    assert not {"fastapi", "uvicorn", "sqlmodel", "duckdb", "deltalake"} & set(connect)
    assert {n: v for n, v in connect.items() if gateway.get(n) != v} == {}
