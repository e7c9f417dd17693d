"""PolicyDecision.from_result: anything not well-formed is a deny (fail closed)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from gateway.policy.port import MALFORMED_DECISION, Obligations, PolicyDecision, check_decision_path

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
        "dp": {"epsilon": 0.5},
    },
}

MALFORMED = PolicyDecision(allow=False, reasons=(MALFORMED_DECISION,), obligations=None)


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
        _with(("obligations", "dp"), {"epsilon": "1"}),
        _with(("obligations", "dp"), {"epsilon": True}),
        _with(("obligations", "dp"), {"epsilon": 0}),
        _with(("obligations", "dp"), None),
    ],
)
def test_malformed_results_deny(result: object) -> None:
    assert PolicyDecision.from_result(result) == MALFORMED


def test_deny_keeps_reasons_and_drops_obligations() -> None:
    result = {"allow": False, "reasons": ["role_not_permitted"], "obligations": {"min_k": "x"}}
    assert PolicyDecision.from_result(result) == PolicyDecision(
        allow=False, reasons=("role_not_permitted",), obligations=None
    )


def test_well_formed_allow() -> None:
    decision = PolicyDecision.from_result(GOOD)
    assert decision == PolicyDecision(
        allow=True,
        reasons=(),
        obligations=Obligations(
            min_k=10,
            columns=("country", "year"),
            suppressed_columns=("h3_cell",),
            row_filter={"country": ("GB",)},
            geo_resolution="admin1",
            time_grain=None,
            dp_epsilon=0.5,
        ),
    )
    assert decision.as_dict() == GOOD


def test_integral_float_k_and_int_epsilon_are_normalised() -> None:
    doc = _with(("obligations", "min_k"), 10.0)
    doc["obligations"]["dp"] = {"epsilon": 1}
    decision = PolicyDecision.from_result(doc)
    assert decision.obligations is not None
    assert decision.obligations.min_k == 10
    assert isinstance(decision.obligations.dp_epsilon, float)


@pytest.mark.parametrize("path", ["", "/beacon", "beacon/", "beacon//x", "a.b", "../x", "a/b?x=1"])
def test_bad_paths_rejected(path: str) -> None:
    with pytest.raises(ValueError, match="invalid policy decision path"):
        check_decision_path(path)
