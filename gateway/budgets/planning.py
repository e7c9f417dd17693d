"""Price a planned DP view query for its caller (``GET /v1/budgets?view=...``), spending nothing.

Asks the policy engine as the real query would (the same ``view.query`` input), so the price
follows the caller's grant; reads no data: the cost and half-widths depend only on the grant's
ε, the view's measures and their declared bounds, and the cells on the public domains.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.budgets.errors import DpNotAnswerableError
from gateway.policy.contract import PolicyInput, Resource
from gateway.policy.errors import PolicyDeniedError, PolicyUnavailableError
from gateway.policy.port import VIEWS_DECISION
from gateway.releases.service import SessionReleases, release_to_read
from gateway.views.dp_answer import DpPlan, plan_dp

if TYPE_CHECKING:
    from sqlmodel import Session

    from gateway.auth.principal import Principal
    from gateway.budgets.service import BudgetService
    from gateway.policy.port import PolicyEngine
    from gateway.views.definitions import ViewRegistry


@dataclass(frozen=True)
class PlannedQuery:
    view: str
    dataset: str
    release_id: str
    plan: DpPlan
    epsilon_total: float
    epsilon_remaining: float

    @property
    def affordable(self) -> bool:
        return self.plan.cost <= self.epsilon_remaining + 1e-9


def plan_query(
    session: Session,
    *,
    budgets: BudgetService,
    views: ViewRegistry,
    policy: PolicyEngine,
    principal: Principal,
    view_name: str,
    group_by: Sequence[str],
    filters: Mapping[str, Sequence[str]],
    as_of: str | None = None,
) -> PlannedQuery:
    view = views.get(view_name)
    dims = list(dict.fromkeys([*group_by, *filters]))
    request = PolicyInput(
        subject=principal.policy_subject(),
        action="view.query",
        resource=Resource(
            dataset=view.dataset,
            view=view.name,
            dims=tuple(group_by),
            filters={k: tuple(v) for k, v in filters.items()},
        ),
    )
    decision = policy.decide(VIEWS_DECISION, request)
    obligations = decision.obligations
    if decision.allow and obligations is None:  # an engine fault, not a denial
        raise PolicyUnavailableError("The policy engine allowed without obligations.")
    if not decision.allow or obligations is None:
        raise PolicyDeniedError(tuple(decision.reasons) or ("denied",))
    refused = [f"dimension_not_permitted:{d}" for d in dims if d not in obligations.columns]
    if refused or any(d not in view.dimensions for d in dims):
        raise PolicyDeniedError(tuple(refused) or ("denied",))
    if obligations.mode != "dp":
        raise DpNotAnswerableError(
            f"your grant answers {view.name} in {obligations.mode} mode: it spends no ε"
        )
    release = release_to_read(SessionReleases(session), view.dataset, as_of)
    plan = plan_dp(
        view=view,
        contract=budgets.contracts.get(view.dataset),
        release=release,
        group_by=list(dict.fromkeys(group_by)),
        filters=filters,
        obligations=obligations,
        settings=budgets.settings,
        default_purpose=principal.purpose,
    )
    state = budgets.state(
        session,
        org=principal.org,
        purpose=plan.purpose,
        dataset=view.dataset,
        release_id=release.id,
    )
    total = state.epsilon_total if state else plan.budget
    remaining = state.epsilon_remaining if state else plan.budget
    return PlannedQuery(view.name, view.dataset, release.id, plan, total, remaining)
