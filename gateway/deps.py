"""Typed FastAPI dependencies shared by every feature router: settings, DB session, principal.

Each feature's own components (its service) come from that feature's ``deps.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.auth.deps import TokenServiceDep
from gateway.auth.errors import InsufficientScopeError, InvalidTokenError
from gateway.auth.principal import Principal
from gateway.providers import Key, provided
from gateway.settings import Settings

SETTINGS: Key[Settings] = Key("settings")
ENGINE: Key[Engine] = Key("db.engine")


def get_settings(request: Request) -> Settings:
    return provided(request, SETTINGS)


SettingsDep = Annotated[Settings, Depends(get_settings)]


def get_engine(request: Request) -> Engine:
    return provided(request, ENGINE)


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_session(engine: EngineDep) -> Iterator[Session]:
    with Session(engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, tokens: TokenServiceDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("missing bearer token")
    principal = tokens.verify(token.strip())
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


class _RequireScopes:
    """A dependency that checks scopes; ``required_scopes`` is read by the OpenAPI document."""

    def __init__(self, scopes: tuple[str, ...]) -> None:
        self.required_scopes = scopes

    def __call__(self, principal: PrincipalDep) -> Principal:
        scopes = self.required_scopes
        if not principal.has_scopes(*scopes):
            raise InsufficientScopeError(
                f"this operation needs scope(s): {' '.join(scopes)}", required_scopes=list(scopes)
            )
        return principal


def require_scopes(*scopes: str) -> Callable[[Principal], Principal]:
    return _RequireScopes(scopes)


def request_id(request: Request) -> str | None:
    rid: str | None = getattr(request.state, "request_id", None)
    return rid


RequestIdDep = Annotated[str | None, Depends(request_id)]

Uploader = Annotated[Principal, Depends(require_scopes("batches:write"))]
BatchReader = Annotated[Principal, Depends(require_scopes("batches:read"))]
Analyst = Annotated[Principal, Depends(require_scopes("views:read"))]
Governance = Annotated[Principal, Depends(require_scopes("audit:read"))]
