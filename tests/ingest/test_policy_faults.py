"""A broken ingest policy (missing, or a malformed decision) is 503, never a 403 "denied"."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.policy.embedded import EmbeddedPolicyEngine
from tests.ingest.conftest import Stack, incident_rows, to_csv

REPO = Path(__file__).resolve().parents[2]
_ALLOW = 'decision := {"allow": true, "reasons": [], "obligations": _obligations} if {'


@pytest.fixture(params=["missing", "no_obligations"])
def faulty_policy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedPolicyEngine]:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    rego = policies / "beacon" / "ingest" / "policy.rego"
    if request.param == "missing":
        rego.unlink()
    else:
        text = rego.read_text("utf-8")
        assert _ALLOW in text
        rego.write_text(text.replace(_ALLOW, 'decision := {"allow": true, "reasons": []} if {'))
    engine = EmbeddedPolicyEngine(policies)
    yield engine
    engine.close()


def test_ingest_policy_fault_is_503_and_writes_nothing(
    stack: Stack, faulty_policy: EmbeddedPolicyEngine
) -> None:
    stack.use(policy=faulty_policy)
    r = stack.upload(to_csv(incident_rows(3)))
    assert r.status_code == 503, r.text
    assert r.json()["type"].endswith("policy-unavailable")
    assert stack.delta_rows() == 0
    (event,) = stack.audit.list_events(kind="batch.upload")
    assert (event.outcome, event.detail["status"]) == ("error", 503)
