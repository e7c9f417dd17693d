"""Provider of the policy engine (the one built at start-up, whichever backend)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.policy.port import PolicyEngine
from gateway.providers import Key, provided

POLICY_ENGINE: Key[PolicyEngine] = Key("policy.engine")


def get_policy_engine(request: Request) -> PolicyEngine:
    return provided(request, POLICY_ENGINE)


PolicyEngineDep = Annotated[PolicyEngine, Depends(get_policy_engine)]
