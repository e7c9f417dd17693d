"""Where the connector gets a dataset's contract: the profile's local copy, else the gateway."""

from __future__ import annotations

from pathlib import Path

from connectors.client import GatewayClient
from connectors.errors import ProfileError, UsageError
from connectors.profile import Profile
from gateway.contracts import Contract, ContractError, load_contract
from gateway.contracts.loader import parse_contract


def resolve_contract(
    profile: Profile, dataset: str, client: GatewayClient | None = None
) -> Contract:
    """Local ``contracts_dir/<dataset>.yaml`` if the profile names a folder (works offline),
    otherwise the contract the gateway serves (needs ``client``)."""
    if profile.contracts_dir is not None:
        return load_local_contract(profile, dataset)
    if client is None:
        raise ProfileError(
            "the profile sets no contracts_dir, so the contract must come from the gateway"
        )
    return contract_from_gateway(client, dataset)


def load_local_contract(profile: Profile, dataset: str) -> Contract:
    if profile.contracts_dir is None:
        raise ProfileError("the profile sets no contracts_dir")
    return contract_in(profile.contracts_dir, dataset)


def contract_in(directory: Path, dataset: str) -> Contract:
    """``<directory>/<dataset>.yaml`` (or ``.yml``) as a ``Contract``."""
    for suffix in (".yaml", ".yml"):
        path = directory / f"{dataset}{suffix}"
        if path.is_file():
            try:
                return load_contract(path)
            except ContractError as exc:
                raise UsageError(f"local contract: {exc}") from None
    raise ProfileError(f"no contract for dataset {dataset!r} in {directory}")


def contract_from_gateway(client: GatewayClient, dataset: str) -> Contract:
    raw = client.get_contract(dataset)
    try:
        return parse_contract(raw)
    except ContractError as exc:
        raise UsageError(
            f"the gateway served a contract this connector cannot read: {exc}"
        ) from None
