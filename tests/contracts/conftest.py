"""Fixtures for contract tests: the repository's contracts and a tiny contract to edit."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.contracts import Contract, ContractRegistry

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def registry() -> ContractRegistry:
    return ContractRegistry.load(REPO / "contracts")


@pytest.fixture(scope="session")
def incidents(registry: ContractRegistry) -> Contract:
    return registry.get("incident_reports")
