"""Data contracts: YAML → pyarrow schema + validation suite (shared by gateway and connector).

No FastAPI imports here: the partner-side connector validates locally with this same code.
"""

from __future__ import annotations

from gateway.contracts.conform import ConformResult, conform
from gateway.contracts.errors import ContractError, SchemaMismatchError, UnknownDatasetError
from gateway.contracts.loader import load_contract
from gateway.contracts.model import CLASSIFICATIONS, TYPES, ColumnSpec, Contract
from gateway.contracts.registry import ContractRegistry
from gateway.contracts.validate import (
    RULES,
    Rejection,
    ValidationOutcome,
    Validator,
    get_validator,
    validate_batch,
)

__all__ = [
    "CLASSIFICATIONS",
    "RULES",
    "TYPES",
    "ColumnSpec",
    "ConformResult",
    "Contract",
    "ContractError",
    "ContractRegistry",
    "Rejection",
    "SchemaMismatchError",
    "UnknownDatasetError",
    "ValidationOutcome",
    "Validator",
    "conform",
    "get_validator",
    "load_contract",
    "validate_batch",
]
