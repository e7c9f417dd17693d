"""Providers of the auth feature: the token service and the account (org/client) service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.service import AccountService
from gateway.auth.tokens import TokenService
from gateway.providers import Key, provided

TOKEN_SERVICE: Key[TokenService] = Key("auth.tokens")
ACCOUNT_SERVICE: Key[AccountService] = Key("auth.accounts")


def get_token_service(request: Request) -> TokenService:
    return provided(request, TOKEN_SERVICE)


def get_account_service(request: Request) -> AccountService:
    return provided(request, ACCOUNT_SERVICE)


TokenServiceDep = Annotated[TokenService, Depends(get_token_service)]
AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]
