"""The entity key of a contract: the column marked ``unique: true`` (e.g. ``report_id``).

Stand-in until ``Contract.entity_key`` exists; callers go through this one function.
"""

from __future__ import annotations

from gateway.contracts.model import Contract


def entity_key(contract: Contract) -> str | None:
    """The first unique column's name, or ``None`` when the contract has none."""
    return next((c.name for c in contract.columns if c.unique), None)
