"""Provider of the views service (built once in the app's lifespan)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.providers import Key, provided
from gateway.views.service import ViewService

VIEW_SERVICE: Key[ViewService] = Key("views.service")


def get_view_service(request: Request) -> ViewService:
    return provided(request, VIEW_SERVICE)


ViewServiceDep = Annotated[ViewService, Depends(get_view_service)]
