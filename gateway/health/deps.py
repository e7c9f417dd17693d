"""Provider of the readiness probes (registered in the app's lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.health.service import Readiness
from gateway.providers import Key, provided

READINESS: Key[Readiness] = Key("health.readiness")


def get_readiness(request: Request) -> Readiness:
    return provided(request, READINESS)


ReadinessDep = Annotated[Readiness, Depends(get_readiness)]
