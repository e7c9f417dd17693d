"""Providers of the auth feature: token service, token-endpoint throttle, account service."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.auth.service import AccountService
from gateway.auth.throttle import TokenThrottle
from gateway.auth.tokens import TokenService
from gateway.providers import Key, provided

TOKEN_SERVICE: Key[TokenService] = Key("auth.tokens")
ACCOUNT_SERVICE: Key[AccountService] = Key("auth.accounts")
TOKEN_THROTTLE: Key[TokenThrottle] = Key("auth.throttle")


def get_token_service(request: Request) -> TokenService:
    return provided(request, TOKEN_SERVICE)


def get_account_service(request: Request) -> AccountService:
    return provided(request, ACCOUNT_SERVICE)


def get_token_throttle(request: Request) -> TokenThrottle:
    return provided(request, TOKEN_THROTTLE)


TokenServiceDep = Annotated[TokenService, Depends(get_token_service)]
AccountServiceDep = Annotated[AccountService, Depends(get_account_service)]
TokenThrottleDep = Annotated[TokenThrottle, Depends(get_token_throttle)]
