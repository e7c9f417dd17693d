"""The embedded regopy backend: loading, reload on change, failure modes, thread safety."""

from __future__ import annotations

import json
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from gateway.policy.embedded import EmbeddedPolicyEngine
from gateway.policy.errors import PolicyUnavailableError
from gateway.policy.factory import build_policy_engine
from gateway.policy.opa import OpaPolicyEngine
from gateway.policy.port import INGEST_DECISION, VIEWS_DECISION
from gateway.settings import Settings
from tests.policy.conftest import POLICY_DIR

BANK: dict[str, object] = {
    "org": "northbank",
    "sector": "financial",
    "roles": ["analyst"],
    "purpose": None,
}


def _query(view: str, subject: dict[str, object] = BANK) -> dict[str, object]:
    return {
        "subject": subject,
        "action": "view.list",
        "resource": {"view": view, "dims": [], "filters": {}},
    }


@pytest.fixture
def policy_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "policies"
    shutil.copytree(POLICY_DIR, dst)
    return dst


def _touch_later(path: Path) -> None:
    """Bump mtime explicitly: coarse filesystem clocks could hide a quick rewrite."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def test_reload_after_grants_change(policy_copy: Path) -> None:
    engine = EmbeddedPolicyEngine(policy_copy, reload_check_seconds=0)
    assert engine.decide(VIEWS_DECISION, _query("open_source_coverage")).reasons == (
        "no_grant_for_view",
    )

    grants_file = policy_copy / "beacon" / "grants" / "data.json"
    grants = json.loads(grants_file.read_text())
    grants["views"]["open_source_coverage"]["grants"].append(
        {
            "id": "bank-osint",
            "sector": "financial",
            "dims": ["country"],
            "min_k": 25,
            "row_filter": {},
            "geo_resolution": "country",
            "time_grain": None,
            "mode": "dp",
            "dp": {"epsilon": 1.0, "budget": 3.0},
        }
    )
    grants_file.write_text(json.dumps(grants))
    _touch_later(grants_file)

    decision = engine.decide(VIEWS_DECISION, _query("open_source_coverage"))
    assert decision.allow
    assert decision.obligations is not None
    assert (decision.obligations.min_k, decision.obligations.dp_epsilon) == (25, 1.0)
    assert (decision.obligations.mode, decision.obligations.dp.budget) == ("dp", 3.0)


def test_reload_is_throttled(policy_copy: Path) -> None:
    engine = EmbeddedPolicyEngine(policy_copy, reload_check_seconds=3600)
    grants_file = policy_copy / "beacon" / "grants" / "data.json"
    grants_file.write_text(json.dumps({"views": {}, "contributors": {}}))
    _touch_later(grants_file)
    assert engine.decide(VIEWS_DECISION, _query("financial_typologies")).allow


def test_broken_edit_keeps_last_good_policy(policy_copy: Path) -> None:
    engine = EmbeddedPolicyEngine(policy_copy, reload_check_seconds=0)
    rego = policy_copy / "beacon" / "views" / "policy.rego"
    rego.write_text(rego.read_text() + "\nthis is not rego {{{\n")
    _touch_later(rego)
    assert engine.decide(VIEWS_DECISION, _query("financial_typologies")).allow


def test_grants_path_overrides_data(policy_copy: Path, tmp_path: Path) -> None:
    override = tmp_path / "grants.yaml"
    override.write_text("views: {}\ncontributors: {}\n")
    engine = EmbeddedPolicyEngine(policy_copy, grants_path=override)
    assert engine.decide(VIEWS_DECISION, _query("financial_typologies")).reasons == (
        "no_grant_for_view",
    )


def test_missing_policy_path_is_an_engine_fault(embedded_engine: EmbeddedPolicyEngine) -> None:
    with pytest.raises(PolicyUnavailableError):  # undefined: 503, not a 403 "no grant"
        embedded_engine.decide("beacon/missing/decision", {})


_FAULTY_REGO = """package beacon.faulty

non_boolean := {"allow": "true", "reasons": []}

no_obligations := {"allow": true, "reasons": []}

bad_obligations := {"allow": true, "reasons": [], "obligations": {"min_k": 5}}

not_an_object := [true]
"""


@pytest.mark.parametrize(
    "rule", ["non_boolean", "no_obligations", "bad_obligations", "not_an_object"]
)
def test_malformed_decision_document_is_an_engine_fault(policy_copy: Path, rule: str) -> None:
    (policy_copy / "beacon" / "faulty.rego").write_text(_FAULTY_REGO)
    engine = EmbeddedPolicyEngine(policy_copy)
    with pytest.raises(PolicyUnavailableError) as info:  # 503, never a 403 "no grant"
        engine.decide(f"beacon/faulty/{rule}", {})
    assert info.value.status == 503


def test_empty_policy_dir_fails_at_start(tmp_path: Path) -> None:
    with pytest.raises(PolicyUnavailableError):
        EmbeddedPolicyEngine(tmp_path)


def test_ping_fails_without_views_policy(policy_copy: Path) -> None:
    (policy_copy / "beacon" / "views" / "policy.rego").unlink()
    engine = EmbeddedPolicyEngine(policy_copy)
    with pytest.raises(PolicyUnavailableError):
        engine.ping()


def test_concurrent_decisions_are_consistent(embedded_engine: EmbeddedPolicyEngine) -> None:
    ngo = {"org": "safe-harbour", "sector": "ngo", "roles": ["uploader"], "purpose": None}

    def one(i: int) -> bool:
        if i % 2:
            return embedded_engine.decide(VIEWS_DECISION, _query("financial_typologies")).allow
        write = {
            "subject": ngo,
            "action": "batch.write",
            "resource": {"dataset": "incident_reports"},
        }
        return embedded_engine.decide(INGEST_DECISION, write).allow

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(one, range(400)))


def test_factory_selects_backend(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    settings.policy.policy_dir = POLICY_DIR
    engine = build_policy_engine(settings)
    assert isinstance(engine, EmbeddedPolicyEngine)
    engine.ping()
    settings.policy.backend = "opa"
    settings.policy.timeout_seconds = 0.7
    remote = build_policy_engine(settings)
    assert isinstance(remote, OpaPolicyEngine)
    assert remote.timeout_seconds == 0.7
