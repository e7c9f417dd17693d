"""OAuth2 access tokens (JWT, RFC 9068 profile): issue for clients, verify into a Principal.

Defends against stolen, forged or replayed-elsewhere tokens: asymmetric signatures only (alg
allow-list, never ``none``), issuer and audience pinned, short expiry with bounded leeway,
claims type-checked, and self-issued tokens of a since-disabled client are refused — also after
it is re-enabled (``tokens_valid_after``, in the shared database, so on every replica).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from joserfc import jwt
from joserfc.errors import ExpiredTokenError, InvalidClaimError, JoseError, MissingClaimError
from joserfc.jwk import Key, KeySet
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.auth import repository
from gateway.auth.claims import AccessClaims
from gateway.auth.errors import InvalidScopeError, InvalidTokenError, UnsupportedGrantTypeError
from gateway.auth.keys import (
    ASYMMETRIC_ALGS,
    RemoteJWKS,
    StaticKeys,
    load_signing_key,
    public_jwk,
    signing_alg,
)
from gateway.auth.principal import (
    ROLE_SCOPES,
    ROLES,
    Principal,
    scopes_for_roles,
)
from gateway.auth.service import authenticate_client
from gateway.settings import Settings

MAX_TOKEN_LENGTH = 8192
TOKEN_TYPE = "at+jwt"  # noqa: S105  (RFC 9068 media type, not a secret)


class KeySource(Protocol):
    def keyset(self, kid: str | None) -> KeySet: ...


class TokenService:
    """Issues tokens as its own issuer, or verifies an external issuer's tokens."""

    def __init__(
        self,
        *,
        engine: Engine | None,
        issuer: str,
        audience: str,
        signing_key: Key | None,
        verify_keys: KeySource,
        ttl_seconds: int = 900,
        leeway_seconds: int = 30,
        now: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self.issuer = issuer
        self.audience = audience
        self._signing_key = signing_key
        self._keys = verify_keys
        self._ttl = ttl_seconds
        self._leeway = leeway_seconds
        self._now = now
        self._algs = [signing_alg(signing_key)] if signing_key else list(ASYMMETRIC_ALGS)

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine | None) -> TokenService:
        auth = settings.auth
        signing_key: Key | None = None
        keys: KeySource
        if auth.external_jwks_path is not None:
            keys = StaticKeys.from_file(auth.external_jwks_path)
        elif auth.external_jwks_url:
            keys = RemoteJWKS(auth.external_jwks_url)
        else:
            signing_key = load_signing_key(settings)
            keys = StaticKeys(KeySet([signing_key]))
        return cls(
            engine=engine,
            issuer=auth.issuer,
            audience=auth.audience,
            signing_key=signing_key,
            verify_keys=keys,
            ttl_seconds=auth.token_ttl_seconds,
            leeway_seconds=auth.leeway_seconds,
        )

    @property
    def self_issuing(self) -> bool:
        return self._signing_key is not None

    # -- issuing ------------------------------------------------------------------------------

    def issue(
        self, client_id: str, client_secret: str, *, scope: str | None = None
    ) -> dict[str, Any]:
        """Authenticate a client and return an RFC 6749 §5.1 token response."""
        if self._signing_key is None or self._engine is None:
            raise UnsupportedGrantTypeError(
                "this gateway trusts an external issuer: obtain tokens from it"
            )
        with Session(self._engine) as session:
            client, org = authenticate_client(session, client_id, client_secret)
        granted = scopes_for_roles(client.roles)
        scopes = granted
        if scope is not None and scope.strip():
            requested = frozenset(scope.split())
            if not requested <= granted:
                missing = " ".join(sorted(requested - granted))
                raise InvalidScopeError(f"scope not granted to this client: {missing}")
            scopes = requested
        now = int(self._now())
        claims = {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client.client_id,
            "client_id": client.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + self._ttl,
            "jti": uuid.uuid4().hex,
            "org": org.slug,
            "sector": org.sector,
            "roles": sorted(client.roles),
            "scope": " ".join(sorted(scopes)),
        }
        alg = signing_alg(self._signing_key)
        header = {"alg": alg, "typ": TOKEN_TYPE, "kid": self._signing_key.kid}
        token = jwt.encode(header, claims, self._signing_key, algorithms=[alg])
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": self._ttl,
            "scope": claims["scope"],
        }

    # -- verifying ----------------------------------------------------------------------------

    def verify(self, token: str) -> Principal:
        """Check signature, issuer, audience, expiry and claim types; map claims to a Principal."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            raise InvalidTokenError("missing or oversized token")
        try:
            decoded = jwt.decode(token, self._resolve_key, algorithms=self._algs)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise InvalidTokenError("invalid token signature or format") from exc
        if self.self_issuing and decoded.header.get("typ") != TOKEN_TYPE:
            raise InvalidTokenError("not an access token")
        claims = dict(decoded.claims)
        self._validate_registered(claims)
        principal = _principal_from_claims(claims)
        if self.self_issuing and not self._client_active(principal.subject, claims.get("iat")):
            raise InvalidTokenError("client is disabled or unknown, or the token was revoked")
        return principal

    def _resolve_key(self, obj: Any) -> KeySet:
        kid = obj.headers().get("kid")
        return self._keys.keyset(kid if isinstance(kid, str) else None)

    def _validate_registered(self, claims: dict[str, Any]) -> None:
        registry = jwt.JWTClaimsRegistry(
            now=int(self._now()),
            leeway=self._leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.audience},
            sub={"essential": True},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError as exc:
            raise InvalidTokenError("token expired") from exc
        except (MissingClaimError, InvalidClaimError) as exc:
            raise InvalidTokenError(f"invalid token claims: {exc.description}") from exc
        except (JoseError, ValueError, TypeError) as exc:
            raise InvalidTokenError("invalid token claims") from exc

    def _client_active(self, client_id: str, issued_at: Any) -> bool:
        """The client exists, is enabled, and was not disabled after this token was issued."""
        if self._engine is None:
            return True
        with Session(self._engine) as session:
            client = repository.get_client(session, client_id)
        if client is None or client.disabled:
            return False
        if client.tokens_valid_after is None:
            return True
        # Whole seconds (iat's grain): a token from the second of the disable is dead too.
        cutoff = int(client.tokens_valid_after.timestamp())
        return isinstance(issued_at, int) and not isinstance(issued_at, bool) and issued_at > cutoff

    # -- discovery ----------------------------------------------------------------------------

    def jwks(self) -> dict[str, Any]:
        """Our public keys (empty when an external issuer signs the tokens)."""
        if self._signing_key is None:
            return {"keys": []}
        return {"keys": [public_jwk(self._signing_key)]}

    def metadata(self) -> dict[str, Any]:
        """RFC 8414 authorisation-server metadata for the self-issuer."""
        base = self.issuer.rstrip("/")
        return {
            "issuer": self.issuer,
            "token_endpoint": f"{base}/oauth/token",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "grant_types_supported": ["client_credentials"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "response_types_supported": [],
            "scopes_supported": sorted(set().union(*ROLE_SCOPES.values())),
            "token_endpoint_auth_signing_alg_values_supported": self._algs,
        }


def _principal_from_claims(claims: dict[str, Any]) -> Principal:
    """Map org/sector/roles/scope claims; scopes never exceed what the roles allow."""
    parsed = AccessClaims.from_token(claims)
    roles = frozenset(r for r in parsed.roles if r in ROLES)
    allowed = scopes_for_roles(roles)
    scopes = allowed if parsed.scope is None else frozenset(parsed.scope.split()) & allowed
    return Principal(
        subject=parsed.sub,
        org=parsed.org,
        sector=parsed.sector,
        roles=roles,
        scopes=scopes,
        purpose=parsed.purpose,
    )
