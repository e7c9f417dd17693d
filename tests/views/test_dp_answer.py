"""DP answers are priced and shaped from public facts only: domains, bounds, the grant's ε."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gateway.budgets.errors import DpNotAnswerableError
from gateway.contracts.registry import ContractRegistry
from gateway.policy.contract import Obligations
from gateway.policy.errors import PolicyDeniedError
from gateway.releases.models import Release
from gateway.settings import PrivacySettings
from gateway.views.definitions import ViewRegistry
from gateway.views.dp_answer import plan_dp

COLUMNS = ["country", "admin1", "h3_cell", "exploitation_type", "sector", "month", "year"]


def _obligations(suppressed: tuple[str, ...] = (), **dp: Any) -> Obligations:
    return Obligations.model_validate_json(
        json.dumps(
            {
                "min_k": 10,
                "columns": COLUMNS,
                "suppressed_columns": list(suppressed),
                "row_filter": {},
                "geo_resolution": "h3_cell",
                "time_grain": "month",
                "mode": "dp",
                "min_contributors": 2,
                "dominance": {"n": 2, "share": 0.85},
                "dp": {"epsilon": 0.5, "budget": 2.0, "purpose": "research", **dp},
                "embargo": {"days": None, "dims": []},
            }
        )
    )


@pytest.fixture(scope="module")
def world(contracts: ContractRegistry) -> Any:
    registry = ViewRegistry.load(
        Path(__file__).resolve().parents[2] / "gateway/views/definitions",
        contracts,
    )
    view = registry.get("incident_hotspots")
    release = Release(
        dataset="incident_reports",
        delta_version=3,
        cut_by="test",
        cut_at=datetime(2026, 11, 20, tzinfo=UTC),
    )
    yield view, contracts.get("incident_reports"), release
    registry.close()


def _plan(world: Any, group_by: list[str], filters: dict[str, list[str]] | None = None, **kw: Any):
    view, contract, release = world
    return plan_dp(
        view=view,
        contract=contract,
        release=release,
        group_by=group_by,
        filters=filters or {},
        obligations=kw.pop("obligations", _obligations()),
        settings=kw.pop("settings", PrivacySettings()),
    )


def test_cells_come_from_public_domains_and_the_release_span(world: Any) -> None:
    plan = _plan(world, ["exploitation_type", "month"])
    contract = world[1]
    assert plan.domains["exploitation_type"] == contract.column("exploitation_type").allowed
    months = plan.domains["month"]
    assert len(months) == 60 + 1  # 60 months to the cut, plus "no date" (occurred_on optional)
    assert (months[0], months[-2], months[-1]) == ("2021-12", "2026-11", None)
    assert plan.cells == 8 * 61
    filtered = _plan(world, ["exploitation_type"], {"exploitation_type": ["labour", "nope"]})
    assert filtered.domains["exploitation_type"] == ("labour",)


def test_the_querys_epsilon_is_split_over_count_and_sums(world: Any) -> None:
    plan = _plan(world, ["country"])
    assert [(m.name, m.column, m.bound) for m in plan.measures] == [
        ("report_count", None, 1),
        ("victim_sum", "victim_count", 500),  # the contract's maximum bounds each record
    ]
    assert plan.cost <= 0.5 and plan.cost == pytest.approx(0.5)
    assert all(m.epsilon == pytest.approx(0.25) for m in plan.measures)
    count, sums = plan.measures
    assert count.mechanism == "discrete_laplace" and count.half_width > 0
    assert sums.half_width > 100 * count.half_width  # the bound scales the noise
    assert (plan.purpose, plan.budget, plan.epsilon_query) == ("research", 2.0, 0.5)


@pytest.mark.parametrize("dim", ["h3_cell", "admin1"])
def test_a_dimension_without_a_finite_public_domain_is_refused(world: Any, dim: str) -> None:
    with pytest.raises(DpNotAnswerableError) as caught:
        _plan(world, [dim])
    assert caught.value.status == 400 and caught.value.extensions == {"dimension": dim}
    assert "no finite public domain" in caught.value.detail
    assert _plan(world, ["country"], {dim: ["x"]}).cells > 0  # filtering on it is fine


def test_a_sum_without_a_declared_bound_is_refused(world: Any) -> None:
    view, contract, release = world
    unbounded = replace(
        contract,
        columns=tuple(
            replace(c, maximum=None) if c.name == "victim_count" else c for c in contract.columns
        ),
    )
    with pytest.raises(DpNotAnswerableError, match="victim_count"):
        _plan((view, unbounded, release), ["country"])
    hidden = _obligations(suppressed=("victim_sum",))  # a measure not released needs no bound
    plan = _plan((view, unbounded, release), ["country"], obligations=hidden)
    assert [m.name for m in plan.measures] == ["report_count"]
    assert plan.measures[0].epsilon == pytest.approx(0.5)


def test_too_many_cells_and_missing_budget_are_refused(world: Any) -> None:
    with pytest.raises(DpNotAnswerableError, match="cells"):
        _plan(
            world,
            ["country", "exploitation_type", "month"],
            settings=PrivacySettings(dp_max_cells=1000),
        )
    with pytest.raises(PolicyDeniedError):
        _plan(world, ["country"], obligations=_obligations(budget=None))
