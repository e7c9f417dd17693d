"""Authentication and authorisation errors (defends against forged/expired tokens)."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, ForbiddenError, UnauthenticatedError


class InvalidTokenError(UnauthenticatedError):
    type = TYPE_BASE + "invalid-token"
    title = "Invalid or missing access token"


class InvalidClientError(UnauthenticatedError):
    type = TYPE_BASE + "invalid-client"
    title = "Client authentication failed"


class InsufficientScopeError(ForbiddenError):
    type = TYPE_BASE + "insufficient-scope"
    title = "Insufficient scope"
