"""The public form offers only the contract's taxonomies (a drift guard until it reads them).

The reporting page and its validator list exploitation types and sectors by hand; a contract
change that narrows ``incident_reports`` must show up here rather than as a form that offers a
value the gateway then refuses. The form leaves out one type on purpose for now (listed below);
a type the contract adds must be added to the form or to that list.
"""

from __future__ import annotations

from pathlib import Path

from gateway.contracts.registry import ContractRegistry
from gateway.public.validation import KINDS, SECTORS

REPO = Path(__file__).resolve().parents[2]


def test_form_taxonomies_are_the_contracts() -> None:
    contract = ContractRegistry.load(REPO / "contracts").get("incident_reports")
    allowed = {c.name: c.allowed for c in contract.columns}
    not_on_the_form = {"organ_removal"}  # no plain-language wording in en/fr/es yet
    assert set(allowed["exploitation_type"] or ()) == set(KINDS) | not_on_the_form
    assert not not_on_the_form & set(KINDS)
    assert set(allowed["sector"] or ()) == set(SECTORS)
