"""Provider of the budgets service (built once in the app's lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.budgets.service import BudgetService
from gateway.providers import Key, provided

BUDGET_SERVICE: Key[BudgetService] = Key("budgets.service")


def get_budget_service(request: Request) -> BudgetService:
    return provided(request, BUDGET_SERVICE)


BudgetServiceDep = Annotated[BudgetService, Depends(get_budget_service)]
