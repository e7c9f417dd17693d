"""One corpus, both backends: identical decisions, and each matches the hand-written answer."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.policy.opa import OpaPolicyEngine
from gateway.policy.port import Decision
from tests.policy.conftest import load_corpus

CASES = load_corpus()


def test_corpus_is_broad() -> None:
    assert len(CASES) >= 40
    names = [c["name"] for c in CASES]
    assert len(names) == len(set(names))
    assert any(c["expect"]["allow"] for c in CASES)
    assert sum(not c["expect"]["allow"] for c in CASES) >= 20


def _check_expectation(decision: Decision, expect: dict[str, Any]) -> None:
    assert decision.allow is expect["allow"]
    assert list(decision.reasons) == expect["reasons"]
    if not expect["allow"]:
        assert decision.obligations is None
        return
    assert decision.obligations is not None
    actual = decision.obligations.as_dict()
    for key, value in expect.get("obligations", {}).items():
        assert actual[key] == value, key


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_embedded_matches_expectation(
    case: dict[str, Any], embedded_engine: EmbeddedPolicyEngine
) -> None:
    _check_expectation(embedded_engine.decide(case["path"], case["input"]), case["expect"])


@pytest.mark.integration
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_backends_agree_and_match_expectation(
    case: dict[str, Any], embedded_engine: EmbeddedPolicyEngine, opa_engine: OpaPolicyEngine
) -> None:
    from_opa = opa_engine.decide(case["path"], case["input"])
    from_embedded = embedded_engine.decide(case["path"], case["input"])
    assert from_embedded.verdict() == from_opa.verdict()
    assert from_embedded.policy_revision == from_opa.policy_revision  # same files, same revision
    assert from_embedded.decision_id != from_opa.decision_id
    _check_expectation(from_opa, case["expect"])
