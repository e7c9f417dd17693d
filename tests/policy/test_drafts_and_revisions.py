"""Draft evaluation (governance preview) and policy revisions, on both backends.

A draft changes the answer it is asked for and nothing else: the live policy keeps deciding as
before. The revision names the policy files and data a decision was made with, and both
backends compute the same revision for the same files (and for the same draft grants).
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.policy.errors import DraftNotSupportedError
from gateway.policy.opa import OpaPolicyEngine
from gateway.policy.port import VIEWS_DECISION, PolicyDraft, PolicyInput, Resource, Subject
from tests.policy.conftest import POLICY_DIR

GRANTS: dict[str, Any] = json.loads((POLICY_DIR / "beacon/grants/data.json").read_text())

NGO_SUPPLY_CHAIN = PolicyInput(
    subject=Subject(org="safe-harbour", sector="ngo", roles=("analyst",), purpose="casework"),
    action="view.query",
    resource=Resource(dataset="supply_chain_findings", view="supply_chain_risk", dims=("country",)),
)


def _grants_with_ngo_supply_chain() -> dict[str, Any]:
    grants = copy.deepcopy(GRANTS)
    view = grants["views"]["supply_chain_risk"]
    template = copy.deepcopy(view["grants"][0])
    template.update(id="draft-ngo-supply-chain", sector="ngo", dims=["country"], min_k=7)
    template.pop("org", None)
    view["grants"].append(template)
    return grants


DRAFT = PolicyDraft(grants=_grants_with_ngo_supply_chain())


def _assert_draft_allows_and_live_denies(engine: Any) -> None:
    before = engine.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN)
    assert before.reasons == ("no_grant_for_view",)
    preview = engine.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN, draft=DRAFT)
    assert preview.allow and preview.obligations is not None
    assert preview.obligations.min_k == 7
    assert preview.policy_revision != before.policy_revision
    after = engine.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN)
    assert after.verdict() == before.verdict()  # the draft never went live
    assert after.policy_revision == before.policy_revision


def test_embedded_draft_grants_preview_without_going_live(
    embedded_engine: EmbeddedPolicyEngine,
) -> None:
    _assert_draft_allows_and_live_denies(embedded_engine)


def test_embedded_draft_module_replaces_a_policy_file(
    embedded_engine: EmbeddedPolicyEngine,
) -> None:
    path = "beacon/views/policy.rego"
    text = (POLICY_DIR / path).read_text()
    # A proposed policy that refuses every view.query with a new reason code.
    proposed = text + '\n_reasons contains "frozen_for_review" if input.action == "view.query"\n'
    draft = PolicyDraft(modules={path: proposed})
    allowed = PolicyInput(
        subject=NGO_SUPPLY_CHAIN.subject,
        action="view.query",
        resource=Resource(dataset="incident_reports", view="incident_hotspots", dims=("country",)),
    )
    assert embedded_engine.decide(VIEWS_DECISION, allowed).allow
    preview = embedded_engine.decide(VIEWS_DECISION, allowed, draft=draft)
    assert preview.verdict() == (False, ("frozen_for_review",), None)
    assert embedded_engine.decide(VIEWS_DECISION, allowed).allow


def test_embedded_revision_follows_the_files(tmp_path: Path) -> None:
    copy_dir = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, copy_dir)
    first = EmbeddedPolicyEngine(copy_dir, reload_check_seconds=0)
    same = EmbeddedPolicyEngine(POLICY_DIR)
    try:
        assert first.revision() == same.revision()
        assert len(first.revision()) == 64
        grants = copy_dir / "beacon/grants/data.json"
        grants.write_text(json.dumps(_grants_with_ngo_supply_chain()))
        st = grants.stat()
        os.utime(grants, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
        changed = first.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN)
        assert changed.allow
        assert changed.policy_revision != same.revision()
        # The live revision after the change is what the draft predicted before it.
        assert (
            changed.policy_revision
            == same.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN, draft=DRAFT).policy_revision
        )
    finally:
        first.close()
        same.close()


@pytest.mark.integration
def test_opa_draft_grants_preview_without_going_live(opa_engine: OpaPolicyEngine) -> None:
    _assert_draft_allows_and_live_denies(opa_engine)


@pytest.mark.integration
def test_backends_agree_on_draft_decisions_and_revisions(
    embedded_engine: EmbeddedPolicyEngine, opa_engine: OpaPolicyEngine
) -> None:
    assert embedded_engine.revision() == opa_engine.revision()
    from_opa = opa_engine.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN, draft=DRAFT)
    from_embedded = embedded_engine.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN, draft=DRAFT)
    assert from_opa.verdict() == from_embedded.verdict()
    assert from_opa.policy_revision == from_embedded.policy_revision


@pytest.mark.integration
def test_opa_refuses_draft_modules_it_cannot_evaluate(opa_engine: OpaPolicyEngine) -> None:
    draft = PolicyDraft(modules={"beacon/views/policy.rego": "package beacon.views\n"})
    with pytest.raises(DraftNotSupportedError):
        opa_engine.decide(VIEWS_DECISION, NGO_SUPPLY_CHAIN, draft=draft)
