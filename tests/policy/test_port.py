"""Decision.from_result: anything not well-formed is an engine fault (503, never a deny or an
allow: fail closed); PolicyInput shape."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from gateway.policy.errors import PolicyUnavailableError
from gateway.policy.port import (
    Decision,
    DominanceObligation,
    DpObligation,
    EmbargoObligation,
    Obligations,
    PolicyInput,
    Resource,
    Subject,
    check_decision_path,
)

GOOD: dict[str, Any] = {
    "allow": True,
    "reasons": [],
    "obligations": {
        "min_k": 10,
        "columns": ["country", "year"],
        "suppressed_columns": ["h3_cell"],
        "row_filter": {"country": ["GB"]},
        "geo_resolution": "admin1",
        "time_grain": None,
        "mode": "cellkey",
        "min_contributors": 2,
        "dominance": {"n": 2, "share": 0.85},
        "dp": {"epsilon": 0.5, "budget": 5.0, "purpose": "casework"},
        "embargo": {"days": 30, "dims": ["admin1", "h3_cell"]},
    },
}


def _with(path: tuple[str, ...], value: object) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    node = doc
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return doc


_DELETE = object()


@pytest.mark.parametrize(
    "result",
    [
        None,
        {},
        [],
        "allow",
        {"allow": "true", "reasons": []},
        {"allow": 1, "reasons": []},
        {"allow": False},
        {"allow": False, "reasons": "nope"},
        {"allow": False, "reasons": [1]},
        {"allow": True, "reasons": []},
        _with(("obligations",), None),
        _with(("obligations", "min_k"), "10"),
        _with(("obligations", "min_k"), True),
        _with(("obligations", "min_k"), -1),
        _with(("obligations", "min_k"), 2.5),
        _with(("obligations", "columns"), "country"),
        _with(("obligations", "columns"), [1]),
        _with(("obligations", "suppressed_columns"), _DELETE),
        _with(("obligations", "row_filter"), {"country": "GB"}),
        _with(("obligations", "row_filter"), []),
        _with(("obligations", "geo_resolution"), _DELETE),
        _with(("obligations", "geo_resolution"), 3),
        _with(("obligations", "time_grain"), _DELETE),
        _with(("obligations", "dp"), {}),
        _with(("obligations", "dp"), {"epsilon": "1", "budget": None, "purpose": "p"}),
        _with(("obligations", "dp"), {"epsilon": True, "budget": None, "purpose": "p"}),
        _with(("obligations", "dp"), {"epsilon": 0, "budget": None, "purpose": "p"}),
        _with(("obligations", "dp"), {"epsilon": 1, "budget": -1, "purpose": "p"}),
        _with(("obligations", "dp"), {"epsilon": 1, "budget": None, "purpose": ""}),
        _with(("obligations", "dp"), {"epsilon": 1, "budget": None}),
        _with(("obligations", "dp"), {"epsilon": 1}),
        _with(("obligations", "dp"), None),
        _with(("obligations", "mode"), _DELETE),
        _with(("obligations", "mode"), "noise"),
        _with(("obligations", "mode"), None),
        _with(("obligations", "min_contributors"), _DELETE),
        _with(("obligations", "min_contributors"), 0),
        _with(("obligations", "min_contributors"), "2"),
        _with(("obligations", "dominance"), _DELETE),
        _with(("obligations", "dominance"), {"n": 2}),
        _with(("obligations", "dominance"), {"n": 0, "share": 0.85}),
        _with(("obligations", "dominance"), {"n": 2, "share": 1.5}),
        _with(("obligations", "dominance"), {"n": 2, "share": 0}),
        _with(("obligations", "embargo"), _DELETE),
        _with(("obligations", "embargo"), {"days": 30}),
        _with(("obligations", "embargo"), {"days": 0, "dims": []}),
        _with(("obligations", "embargo"), {"days": "30", "dims": []}),
        _with(("obligations", "embargo"), {"days": 30, "dims": "admin1"}),
    ],
)
def test_malformed_results_are_engine_faults(result: object) -> None:
    with pytest.raises(PolicyUnavailableError) as info:
        Decision.from_result(result)
    assert info.value.status == 503 and info.value.type.endswith("/policy-unavailable")


def test_undefined_result_is_an_engine_fault() -> None:
    with pytest.raises(PolicyUnavailableError):
        Decision.from_result(None)  # what a backend has when the policy or entrypoint is missing


def test_deny_keeps_reasons_and_drops_obligations() -> None:
    result = {"allow": False, "reasons": ["role_not_permitted"], "obligations": {"min_k": "x"}}
    assert Decision.from_result(result).verdict() == (False, ("role_not_permitted",), None)


def test_well_formed_allow() -> None:
    decision = Decision.from_result(GOOD, revision="r1")
    assert decision.verdict() == (
        True,
        (),
        Obligations(
            min_k=10,
            columns=("country", "year"),
            suppressed_columns=("h3_cell",),
            row_filter={"country": ("GB",)},
            geo_resolution="admin1",
            time_grain=None,
            mode="cellkey",
            min_contributors=2,
            dominance=DominanceObligation(n=2, share=0.85),
            dp=DpObligation(epsilon=0.5, budget=5.0, purpose="casework"),
            embargo=EmbargoObligation(days=30, dims=("admin1", "h3_cell")),
        ),
    )
    assert decision.as_dict() == GOOD
    assert decision.policy_revision == "r1" and decision.decision_id.version == 4


def test_integral_float_k_and_int_epsilon_are_normalised() -> None:
    doc = _with(("obligations", "min_k"), 10.0)
    doc["obligations"]["dp"] = {"epsilon": 1, "budget": 10, "purpose": "p"}
    doc["obligations"]["dominance"] = {"n": 2.0, "share": 1}
    decision = Decision.from_result(doc)
    assert decision.obligations is not None
    assert decision.obligations.min_k == 10
    assert isinstance(decision.obligations.dp_epsilon, float)
    assert isinstance(decision.obligations.dp.budget, float)
    assert decision.obligations.dominance == DominanceObligation(n=2, share=1.0)


@pytest.mark.parametrize("path", ["", "/beacon", "beacon/", "beacon//x", "a.b", "../x", "a/b?x=1"])
def test_bad_paths_rejected(path: str) -> None:
    with pytest.raises(ValueError, match="invalid policy decision path"):
        check_decision_path(path)


@pytest.mark.parametrize("extra", [("extra",), ("obligations", "extra")])
def test_unknown_keys_in_our_decision_shape_are_engine_faults(extra: tuple[str, ...]) -> None:
    with pytest.raises(PolicyUnavailableError):
        Decision.from_result(_with(extra, 1))


def test_decisions_have_their_own_ids() -> None:
    assert Decision.from_result(GOOD).decision_id != Decision.from_result(GOOD).decision_id


def test_obligations_are_frozen() -> None:
    obligations = Decision.from_result(GOOD).obligations
    assert obligations is not None
    with pytest.raises(ValidationError):
        obligations.min_k = 1  # type: ignore[misc]


def test_policy_input_document_has_one_time_format() -> None:
    when = datetime(2025, 6, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    doc = PolicyInput(
        subject=Subject(org="ngo-a", sector="ngo", roles=("uploader", "analyst")),
        action="view.query",
        resource=Resource(dataset="d", view="v", dims=("country",), filters={"year": ("2024",)}),
        now=when,
    ).document()
    assert doc == {
        "subject": {"org": "ngo-a", "sector": "ngo", "roles": ["analyst", "uploader"],
                    "purpose": None},
        "action": "view.query",
        "resource": {"dataset": "d", "view": "v", "dims": ["country"],
                     "filters": {"year": ["2024"]}},
        "context": {},
        "now": "2025-06-01T12:00:00.000000Z",
    }  # fmt: skip
    assert PolicyInput(subject=doc["subject"], action="a", resource={}).now.tzinfo == UTC


def test_policy_input_refuses_naive_time_and_unknown_keys() -> None:
    subject = Subject(org="o", sector="ngo")
    with pytest.raises(ValidationError):
        PolicyInput(subject=subject, action="a", resource=Resource(), now=datetime(2025, 1, 1))
    with pytest.raises(ValidationError):
        Resource.model_validate({"dataset": "d", "columns": []})
