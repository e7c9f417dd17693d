"""Typed FastAPI dependencies shared by every feature router."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from gateway.auth.errors import InsufficientScopeError, InvalidTokenError
from gateway.auth.principal import Principal
from gateway.context import AppContext


def get_ctx(request: Request) -> AppContext:
    ctx: AppContext = request.app.state.ctx
    return ctx


CtxDep = Annotated[AppContext, Depends(get_ctx)]


def get_session(ctx: CtxDep) -> Iterator[Session]:
    with Session(ctx.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, ctx: CtxDep) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise InvalidTokenError("missing bearer token")
    principal = ctx.tokens.verify(token.strip())
    request.state.principal = principal
    return principal


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def require_scopes(*scopes: str) -> Callable[[Principal], Principal]:
    def _check(principal: PrincipalDep) -> Principal:
        if not principal.has_scopes(*scopes):
            raise InsufficientScopeError(
                f"this operation needs scope(s): {' '.join(scopes)}", required_scopes=list(scopes)
            )
        return principal

    return _check


Uploader = Annotated[Principal, Depends(require_scopes("batches:write"))]
BatchReader = Annotated[Principal, Depends(require_scopes("batches:read"))]
Analyst = Annotated[Principal, Depends(require_scopes("views:read"))]
Governance = Annotated[Principal, Depends(require_scopes("audit:read"))]
