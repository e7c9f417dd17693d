"""Budget API shapes: what is left per (purpose, dataset, release), a planned query's cost."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

_SLUG = r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$"
_RELEASE = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"


class BudgetRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    org: str
    purpose: str
    dataset: str
    release_id: str
    epsilon_total: float
    epsilon_spent: float
    epsilon_remaining: float


class BudgetList(BaseModel):
    budgets: list[BudgetRead]


class MeasureCost(BaseModel):
    name: str
    mechanism: str
    epsilon: float
    contribution_bound: int
    half_width: float  # each released value is within this of the truth with >= 95 %


class BudgetPlanRead(BaseModel):
    """What ``GET /v1/views/{view}`` with the same query would cost, before asking it."""

    view: str
    dataset: str
    release_id: str
    purpose: str
    epsilon_cost: float
    epsilon_total: float
    epsilon_remaining: float  # before this query
    affordable: bool
    cells: int
    confidence: float
    measures: list[MeasureCost]


class BudgetRenew(BaseModel):
    model_config = ConfigDict(extra="forbid")

    org: str = Field(pattern=_SLUG)
    purpose: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    release_id: str = Field(pattern=_RELEASE)
    epsilon: float = Field(gt=0, le=100, description="ε added to the budget's total")
