"""The set of contracts the gateway serves, loaded once at start-up from ``contracts/``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from gateway.contracts.errors import ContractError, UnknownDatasetError
from gateway.contracts.loader import load_contract
from gateway.contracts.model import Contract


class ContractRegistry:
    """Read-only map dataset → Contract."""

    def __init__(self, contracts: Mapping[str, Contract]) -> None:
        self._contracts = dict(contracts)

    @classmethod
    def load(cls, directory: str | Path) -> ContractRegistry:
        """Load every ``*.yaml``/``*.yml`` in ``directory`` (files starting with ``_`` skipped)."""
        root = Path(directory)
        if not root.is_dir():
            raise ContractError(f"contracts directory {root} does not exist")
        contracts: dict[str, Contract] = {}
        paths = sorted([*root.glob("*.yaml"), *root.glob("*.yml")])
        for path in paths:
            if path.name.startswith("_"):
                continue
            contract = load_contract(path)
            if contract.dataset in contracts:
                raise ContractError(f"{path}: dataset {contract.dataset!r} defined twice")
            contracts[contract.dataset] = contract
        return cls(contracts)

    def get(self, dataset: str) -> Contract:
        try:
            return self._contracts[dataset]
        except KeyError:
            raise UnknownDatasetError(f"no dataset named {dataset!r}", dataset=dataset) from None

    def datasets(self) -> list[str]:
        return sorted(self._contracts)

    def __contains__(self, dataset: object) -> bool:
        return dataset in self._contracts

    def __len__(self) -> int:
        return len(self._contracts)
