"""Provider of the releases service (built once in the app's lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.providers import Key, provided
from gateway.releases.service import ReleaseService

RELEASE_SERVICE: Key[ReleaseService] = Key("releases.service")


def get_release_service(request: Request) -> ReleaseService:
    return provided(request, RELEASE_SERVICE)


ReleaseServiceDep = Annotated[ReleaseService, Depends(get_release_service)]
