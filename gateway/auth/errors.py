"""Authentication and authorisation errors (defends against forged/expired tokens).

The OAuth2 token endpoint errors carry their RFC 6749 §5.2 code in ``oauth_error``; the token
router renders it as the ``error`` member of the problem document.
"""

from __future__ import annotations

from typing import ClassVar

from gateway.errors import (
    TYPE_BASE,
    BadRequestError,
    BeaconError,
    ForbiddenError,
    UnauthenticatedError,
)


class InvalidTokenError(UnauthenticatedError):
    type = TYPE_BASE + "invalid-token"
    title = "Invalid or missing access token"


class InvalidClientError(UnauthenticatedError):
    """Unknown client, wrong secret or disabled client — deliberately indistinguishable."""

    type = TYPE_BASE + "invalid-client"
    title = "Client authentication failed"
    headers = {"WWW-Authenticate": 'Basic realm="beacon"', "Cache-Control": "no-store"}
    oauth_error: ClassVar[str] = "invalid_client"


class InsufficientScopeError(ForbiddenError):
    type = TYPE_BASE + "insufficient-scope"
    title = "Insufficient scope"


class OAuthRequestError(BadRequestError):
    """Malformed token request (RFC 6749 ``invalid_request``)."""

    type = TYPE_BASE + "oauth-invalid-request"
    title = "Invalid token request"
    headers = {"Cache-Control": "no-store"}
    oauth_error: ClassVar[str] = "invalid_request"


class UnsupportedGrantTypeError(OAuthRequestError):
    type = TYPE_BASE + "oauth-unsupported-grant-type"
    title = "Unsupported grant type"
    oauth_error = "unsupported_grant_type"


class InvalidScopeError(OAuthRequestError):
    type = TYPE_BASE + "oauth-invalid-scope"
    title = "Invalid scope"
    oauth_error = "invalid_scope"


class AuthConfigError(BeaconError):
    """The signing key or external JWKS is missing or unusable (an operator problem)."""

    type = TYPE_BASE + "auth-config"
    title = "Authentication is misconfigured"
    status = 500


def oauth_error_code(exc: BeaconError) -> str:
    """The RFC 6749 ``error`` code for a token-endpoint failure."""
    code = getattr(exc, "oauth_error", None)
    if isinstance(code, str):
        return code
    return "server_error" if exc.status >= 500 else "invalid_request"


class TooManyAttemptsError(BeaconError):
    """Too many failed client authentications from this client id or source address."""

    type = TYPE_BASE + "too-many-attempts"
    title = "Too many failed authentication attempts"
    status = 429
    headers = {"Cache-Control": "no-store"}

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, retry_after=retry_after)
