"""HTTP: what an organisation has left (``GET /v1/budgets``), a planned query's price, renewal.

Renewal is governance's: scope ``releases:write`` (the roles that cut releases also decide how
much ε each release may give away).
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from gateway.auth.principal import Principal
from gateway.budgets.deps import BudgetServiceDep
from gateway.budgets.planning import PlannedQuery, plan_query
from gateway.budgets.schemas import (
    BudgetList,
    BudgetPlanRead,
    BudgetRead,
    BudgetRenew,
    MeasureCost,
)
from gateway.budgets.service import BudgetState
from gateway.deps import Analyst, RequestIdDep, SessionDep, require_scopes
from gateway.privacy.dp import CONFIDENCE
from gateway.views.deps import ViewServiceDep
from gateway.views.errors import InvalidViewQueryError

router = APIRouter(tags=["budgets"])

BudgetAdmin = Annotated[Principal, Depends(require_scopes("releases:write"))]
_FILTER_RE = re.compile(r"^filter\[([a-z][a-z0-9_]{0,63})\]$")
_KNOWN = {"view", "group_by", "as_of"}
_RELEASE_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


@router.get(
    "/v1/budgets",
    summary="ε left per (purpose, dataset, release) for your organisation; or a query's price",
    response_model=BudgetList | BudgetPlanRead,
)
def get_budgets(
    request: Request,
    budgets: BudgetServiceDep,
    views: ViewServiceDep,
    session: SessionDep,
    principal: Analyst,
    view: Annotated[str | None, Query(pattern=r"^[a-z][a-z0-9_]{0,63}$")] = None,
    group_by: Annotated[str, Query(max_length=1000)] = "",
    as_of: Annotated[str | None, Query(pattern=_RELEASE_ID)] = None,
) -> BudgetList | BudgetPlanRead:
    filters = _filters(request)
    if view is None:
        if filters or group_by or as_of:
            raise InvalidViewQueryError("group_by, filters and as_of price a query: name a view")
        found = budgets.list_budgets(session, org=principal.org)
        return BudgetList(budgets=[_read(s) for s in found])
    planned = plan_query(
        session,
        budgets=budgets,
        views=views.views,
        policy=views.policy,
        principal=principal,
        view_name=view,
        group_by=[d.strip() for d in group_by.split(",") if d.strip()],
        filters=filters,
        as_of=as_of,
    )
    return _plan(planned)


@router.get("/v1/admin/budgets", summary="Every organisation's budgets (governance)")
def list_all_budgets(
    budgets: BudgetServiceDep, session: SessionDep, principal: BudgetAdmin
) -> BudgetList:
    return BudgetList(budgets=[_read(s) for s in budgets.list_budgets(session)])


@router.post("/v1/admin/budgets/renew", summary="Add ε to a budget (governance only)")
def renew_budget(
    body: BudgetRenew,
    budgets: BudgetServiceDep,
    session: SessionDep,
    principal: BudgetAdmin,
    request_id: RequestIdDep,
) -> BudgetRead:
    state = budgets.renew(
        session,
        org=body.org,
        purpose=body.purpose,
        dataset=body.dataset,
        release_id=body.release_id,
        epsilon=body.epsilon,
        actor=principal,
        request_id=request_id,
    )
    return _read(state)


def _read(state: BudgetState) -> BudgetRead:
    return BudgetRead(
        org=state.org,
        purpose=state.purpose,
        dataset=state.dataset,
        release_id=state.release_id,
        epsilon_total=state.epsilon_total,
        epsilon_spent=state.epsilon_spent,
        epsilon_remaining=state.epsilon_remaining,
    )


def _plan(p: PlannedQuery) -> BudgetPlanRead:
    return BudgetPlanRead(
        view=p.view,
        dataset=p.dataset,
        release_id=p.release_id,
        purpose=p.plan.purpose,
        epsilon_cost=p.plan.cost,
        epsilon_total=p.epsilon_total,
        epsilon_remaining=p.epsilon_remaining,
        affordable=p.affordable,
        cells=p.plan.cells,
        confidence=CONFIDENCE,
        measures=[
            MeasureCost(
                name=m.name,
                mechanism=m.mechanism,
                epsilon=m.epsilon,
                contribution_bound=m.bound,
                half_width=m.half_width,
            )
            for m in p.plan.measures
        ],
    )


def _filters(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, raw in request.query_params.multi_items():
        if key in _KNOWN:
            continue
        match = _FILTER_RE.match(key)
        if match is None:
            raise InvalidViewQueryError(f"unknown query parameter {key[:64]!r}")
        values = [v.strip() for v in raw.split(",") if v.strip()]
        if not values or len(values) > 200 or any(len(v) > 128 for v in values):
            raise InvalidViewQueryError(f"filter {match.group(1)} needs 1 to 200 short values")
        out.setdefault(match.group(1), []).extend(values)
    return out
