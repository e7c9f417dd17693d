"""Issue 14 findings over the views router, with the real embedded engine and real Rego.

A broken policy (missing, or answering a malformed decision) is a 503 ``policy-unavailable``
audited as an error, never a 403 that reads like "no grant". An unknown dimension reveals
nothing before the policy decided: without a grant it is the no-grant 403, with one the 400
lists only the dimensions the grant permits.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.policy.embedded import EmbeddedPolicyEngine
from tests.views.conftest import REPO, TestClient, ViewsApp, as_

_ALLOW = 'decision := {"allow": true, "reasons": [], "obligations": _obligations} if {'
_FAULTS = {
    "missing": None,  # the views policy is gone: the decision is undefined
    "no_obligations": 'decision := {"allow": true, "reasons": []} if {',
    "non_boolean": 'decision := {"allow": "true", "reasons": [], "obligations": _obligations} if {',
    "bad_obligations": (
        'decision := {"allow": true, "reasons": [], "obligations": {"min_k": 5}} if {'
    ),
}


@pytest.fixture(params=sorted(_FAULTS))
def faulty_policy(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmbeddedPolicyEngine]:
    policies = tmp_path / "policies"
    shutil.copytree(REPO / "policies", policies)
    rego = policies / "beacon" / "views" / "policy.rego"
    fault = _FAULTS[request.param]
    if fault is None:
        rego.unlink()
    else:
        text = rego.read_text("utf-8")
        assert _ALLOW in text
        rego.write_text(text.replace(_ALLOW, fault), "utf-8")
    engine = EmbeddedPolicyEngine(policies)
    yield engine
    engine.close()


def test_policy_engine_fault_is_503_not_a_deny(
    client: TestClient, views_app: ViewsApp, faulty_policy: EmbeddedPolicyEngine
) -> None:
    views_app.use(policy=faulty_policy)
    for path in ("/v1/views", "/v1/views/incident_hotspots?group_by=country"):
        response = client.get(path, headers=as_("ngo"))
        assert response.status_code == 503, response.text
        body = response.json()
        assert body["type"].endswith("/policy-unavailable")
        assert "reasons" not in body and "rows" not in body and "views" not in body
    asked = [(e.kind, e.outcome) for e in views_app.events() if e.kind.startswith("view.")]
    assert asked == [("view.list", "error"), ("view.query", "error")]


def _problem(client: TestClient, who: str, query: str) -> tuple[int, dict[str, Any]]:
    response = client.get(f"/v1/views/{query}", headers=as_(who))
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    return response.status_code, {k: v for k, v in body.items() if k not in ("instance",)}


@pytest.mark.parametrize(
    "unknown",
    ["group_by=no_such_dim", "group_by=country,no_such_dim", "group_by=country&filter[nope]=x"],
)
def test_unknown_dimension_without_grant_answers_like_no_grant(
    client: TestClient, views_app: ViewsApp, unknown: str
) -> None:
    no_grant = _problem(client, "bank", "open_source_coverage?group_by=country")
    probed = _problem(client, "bank", f"open_source_coverage?{unknown}")
    assert no_grant[0] == 403 and no_grant[1]["reasons"] == ["no_grant_for_view"]
    assert probed == no_grant  # nothing about the view's dimensions leaks
    assert "dimensions" not in probed[1]
    events = views_app.events("view.query")
    assert [(e.outcome, e.detail["reasons"]) for e in events] == [
        ("deny", ["no_grant_for_view"]),
        ("deny", ["no_grant_for_view"]),
    ]


@pytest.mark.parametrize("who", ["ngo", "business", "nra"])
def test_unknown_dimension_with_grant_lists_only_permitted_dimensions(
    client: TestClient, views_app: ViewsApp, who: str
) -> None:
    listed = client.get("/v1/views", headers=as_(who)).json()["views"]
    (hotspots,) = [v for v in listed if v["name"] == "incident_hotspots"]
    permitted = sorted(d["name"] for d in hotspots["dimensions"])
    status, body = _problem(client, who, "incident_hotspots?group_by=country,no_such_dim")
    assert status == 400 and body["type"].endswith("/unknown-dimension")
    assert body["dimensions"] == permitted
    (event,) = views_app.events("view.query")
    assert (event.outcome, event.detail["reasons"]) == ("deny", ["unknown_dimension"])


def test_unknown_dimension_never_lists_a_suppressed_dimension(client: TestClient) -> None:
    # ngo's grant suppresses h3_cell on incident_hotspots (a dimension the view has)
    status, body = _problem(client, "ngo", "incident_hotspots?group_by=no_such_dim")
    assert status == 400
    assert "h3_cell" not in body["dimensions"] and "country" in body["dimensions"]
