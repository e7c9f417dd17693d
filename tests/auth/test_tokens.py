"""Token issue and verification: every forged, expired or misdirected token is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from pathlib import Path

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, RSAKey
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.service import AuditLog
from gateway.auth.errors import (
    InvalidClientError,
    InvalidScopeError,
    InvalidTokenError,
    UnsupportedGrantTypeError,
)
from gateway.auth.keys import RemoteJWKS, StaticKeys, default_key_path, load_signing_key
from gateway.auth.principal import ROLE_SCOPES
from gateway.auth.service import AccountService
from gateway.auth.tokens import TokenService
from gateway.settings import Settings
from tests.auth.helpers import b64url, make_client, unverified_parts


def _service(settings: Settings, engine: Engine, **overrides: object) -> TokenService:
    key = load_signing_key(settings)
    args: dict[str, object] = {
        "engine": engine,
        "issuer": settings.auth.issuer,
        "audience": settings.auth.audience,
        "signing_key": key,
        "verify_keys": StaticKeys(KeySet([key])),
    }
    args.update(overrides)
    return TokenService(**args)  # type: ignore[arg-type]


def _sign(key: ECKey | RSAKey, claims: dict[str, object], alg: str = "ES256", **hdr: str) -> str:
    header = {"alg": alg, "typ": "at+jwt", "kid": key.kid or "", **hdr}
    return jwt.encode(header, claims, key, algorithms=[alg])


def _claims(settings: Settings, sub: str, **overrides: object) -> dict[str, object]:
    now = int(time.time())
    claims: dict[str, object] = {
        "iss": settings.auth.issuer,
        "aud": settings.auth.audience,
        "sub": sub,
        "iat": now,
        "exp": now + 300,
        "jti": "x",
        "org": "hope-ngo",
        "sector": "ngo",
        "roles": ["analyst"],
        "scope": "views:read",
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


# -- deny cases first ------------------------------------------------------------------------


def test_wrong_secret_is_invalid_client(engine: Engine, tokens: TokenService) -> None:
    client_id, _ = make_client(engine)
    with pytest.raises(InvalidClientError):
        tokens.issue(client_id, "not-the-secret")


def test_unknown_client_is_invalid_client(engine: Engine, tokens: TokenService) -> None:
    with pytest.raises(InvalidClientError):
        tokens.issue("nobody-0000", "whatever")
    with pytest.raises(InvalidClientError):
        tokens.issue("x" * 5000, "whatever")


def test_disabled_client_cannot_get_or_use_tokens(engine: Engine, tokens: TokenService) -> None:
    client_id, secret = make_client(engine)
    live = tokens.issue(client_id, secret)["access_token"]
    with Session(engine) as session:
        AccountService(audit=AuditLog(engine)).set_client_disabled(session, client_id=client_id)
    with pytest.raises(InvalidClientError):
        tokens.issue(client_id, secret)
    with pytest.raises(InvalidTokenError, match="disabled"):
        tokens.verify(live)


def test_tokens_issued_before_a_disable_stay_dead_after_re_enabling(
    settings: Settings, engine: Engine, tokens: TokenService
) -> None:
    client_id, secret = make_client(engine)
    old = tokens.issue(client_id, secret)["access_token"]
    accounts = AccountService(audit=AuditLog(engine))
    with Session(engine) as session:
        accounts.set_client_disabled(session, client_id=client_id)
        accounts.set_client_disabled(session, client_id=client_id, disabled=False)
    # Another replica (its own service, same database) refuses the old token too.
    replica = _service(settings, engine)
    for verifier in (tokens, replica):
        with pytest.raises(InvalidTokenError, match="revoked"):
            verifier.verify(old)
    later = _service(settings, engine, now=lambda: time.time() + 2)  # issued after re-enabling
    fresh = later.issue(client_id, secret)["access_token"]
    assert replica.verify(fresh).subject == client_id


def test_expired_token_is_refused(settings: Settings, engine: Engine) -> None:
    client_id, secret = make_client(engine)
    past = _service(settings, engine, now=lambda: time.time() - 3600)
    token = past.issue(client_id, secret)["access_token"]
    with pytest.raises(InvalidTokenError, match="expired"):
        _service(settings, engine).verify(token)


def test_wrong_audience_is_refused(settings: Settings, engine: Engine) -> None:
    client_id, secret = make_client(engine)
    token = _service(settings, engine, audience="another-api").issue(client_id, secret)
    with pytest.raises(InvalidTokenError, match="aud"):
        _service(settings, engine).verify(token["access_token"])


def test_wrong_issuer_is_refused(settings: Settings, engine: Engine) -> None:
    client_id, secret = make_client(engine)
    token = _service(settings, engine, issuer="https://evil.example").issue(client_id, secret)
    with pytest.raises(InvalidTokenError, match="iss"):
        _service(settings, engine).verify(token["access_token"])


def test_tampered_signature_or_payload_is_refused(engine: Engine, tokens: TokenService) -> None:
    client_id, secret = make_client(engine)
    header, payload, sig = tokens.issue(client_id, secret)["access_token"].split(".")
    flipped = sig[:10] + ("A" if sig[10] != "A" else "B") + sig[11:]
    with pytest.raises(InvalidTokenError):
        tokens.verify(f"{header}.{payload}.{flipped}")
    _, claims = unverified_parts(f"{header}.{payload}.{sig}")
    claims["org"], claims["roles"] = "other-org", ["admin"]
    forged = b64url(json.dumps(claims).encode())
    with pytest.raises(InvalidTokenError):
        tokens.verify(f"{header}.{forged}.{sig}")


def test_token_signed_by_another_key_is_refused(
    settings: Settings, engine: Engine, tokens: TokenService
) -> None:
    client_id, _ = make_client(engine)
    ours = load_signing_key(settings)
    intruder = ECKey.generate_key("P-256", private=True)
    token = _sign(intruder, _claims(settings, client_id), kid=ours.kid or "")
    with pytest.raises(InvalidTokenError):
        tokens.verify(token)


def test_alg_none_and_hmac_confusion_are_refused(
    settings: Settings, engine: Engine, tokens: TokenService
) -> None:
    client_id, _ = make_client(engine)
    claims = b64url(json.dumps(_claims(settings, client_id)).encode())
    for alg in ("none", "None", "NONE"):
        header = b64url(json.dumps({"alg": alg, "typ": "at+jwt"}).encode())
        with pytest.raises(InvalidTokenError):
            tokens.verify(f"{header}.{claims}.")
    # HS256 keyed with our public key (classic algorithm confusion).
    public_pem = load_signing_key(settings).as_pem(private=False)
    header = b64url(json.dumps({"alg": "HS256", "typ": "at+jwt"}).encode())
    mac = hmac.new(public_pem, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    with pytest.raises(InvalidTokenError):
        tokens.verify(f"{header}.{claims}.{b64url(mac)}")


@pytest.mark.parametrize("missing", ["org", "sector", "exp", "sub", "aud", "iss"])
def test_missing_claims_are_refused(
    settings: Settings, engine: Engine, tokens: TokenService, missing: str
) -> None:
    client_id, _ = make_client(engine)
    claims = {k: v for k, v in _claims(settings, client_id).items() if k != missing}
    with pytest.raises(InvalidTokenError):
        tokens.verify(_sign(load_signing_key(settings), claims))


@pytest.mark.parametrize("junk", ["", "abc", "a.b.c", "x" * 9000, "a.b"])
def test_garbage_is_refused(tokens: TokenService, junk: str) -> None:
    with pytest.raises(InvalidTokenError):
        tokens.verify(junk)


def test_requesting_an_ungranted_scope_is_invalid_scope(
    engine: Engine, tokens: TokenService
) -> None:
    client_id, secret = make_client(engine, roles=("analyst",))
    with pytest.raises(InvalidScopeError):
        tokens.issue(client_id, secret, scope="views:read batches:write")
    with pytest.raises(InvalidScopeError):
        tokens.issue(client_id, secret, scope="made:up")


# -- allow cases ------------------------------------------------------------------------------


def test_issue_and_verify_roundtrip(settings: Settings, engine: Engine) -> None:
    client_id, secret = make_client(
        engine, org="first-bank", sector="financial", roles=("uploader", "analyst")
    )
    tokens = TokenService.from_settings(settings, engine)
    body = tokens.issue(client_id, secret)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.auth.token_ttl_seconds
    expected = ROLE_SCOPES["uploader"] | ROLE_SCOPES["analyst"]
    assert set(body["scope"].split()) == expected

    header, claims = unverified_parts(body["access_token"])
    assert header["alg"] == "ES256" and header["typ"] == "at+jwt" and header["kid"]
    assert {"iss", "aud", "sub", "iat", "exp", "jti", "org", "sector", "roles", "scope"} <= set(
        claims
    )
    assert claims["exp"] - claims["iat"] == settings.auth.token_ttl_seconds

    principal = tokens.verify(body["access_token"])
    assert principal.subject == client_id
    assert principal.org == "first-bank" and principal.sector == "financial"
    assert principal.roles == {"uploader", "analyst"}
    assert principal.scopes == expected


def test_scope_narrowing(engine: Engine, tokens: TokenService) -> None:
    client_id, secret = make_client(engine, roles=("governance",))
    body = tokens.issue(client_id, secret, scope="audit:read")
    assert body["scope"] == "audit:read"
    principal = tokens.verify(body["access_token"])
    assert principal.scopes == {"audit:read"}
    assert not principal.has_scopes("views:read")


def test_dev_key_is_created_once_private_and_reused(settings: Settings, engine: Engine) -> None:
    first = TokenService.from_settings(settings, engine)
    path = default_key_path(settings)
    assert path.stat().st_mode & 0o777 == 0o600
    second = TokenService.from_settings(settings, engine)
    assert first.jwks() == second.jwks()
    client_id, secret = make_client(engine)
    assert second.verify(first.issue(client_id, secret)["access_token"]).subject == client_id
    (jwk,) = first.jwks()["keys"]
    assert jwk["kty"] == "EC" and "d" not in jwk and jwk["use"] == "sig"


def test_configured_rsa_key_signs_rs256(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    key_path = tmp_path / "rsa.pem"
    key_path.write_bytes(RSAKey.generate_key(2048, private=True).as_pem(private=True))
    settings.auth.signing_key_path = key_path
    tokens = TokenService.from_settings(settings, engine)
    client_id, secret = make_client(engine)
    token = tokens.issue(client_id, secret)["access_token"]
    assert unverified_parts(token)[0]["alg"] == "RS256"
    assert tokens.verify(token).subject == client_id


# -- external issuer --------------------------------------------------------------------------


def _external_key_file(tmp_path: Path) -> tuple[RSAKey, Path]:
    key = RSAKey.generate_key(2048, private=True)
    key.ensure_kid()
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(KeySet([key]).as_dict(private=False)))
    return key, path


def test_external_jwks_file_mode(settings: Settings, engine: Engine, tmp_path: Path) -> None:
    key, path = _external_key_file(tmp_path)
    settings.auth.external_jwks_path = path
    settings.auth.issuer = "https://idp.example"
    tokens = TokenService.from_settings(settings, engine)
    assert not tokens.self_issuing and tokens.jwks() == {"keys": []}
    claims = _claims(settings, "svc-account-7", roles=["analyst"], scope="views:read audit:read")
    principal = tokens.verify(_sign(key, claims, alg="RS256", typ="JWT"))
    assert principal.subject == "svc-account-7" and principal.org == "hope-ngo"
    assert principal.scopes == {"views:read"}  # never more than the roles allow

    with pytest.raises(InvalidTokenError):  # our own (dev) key is not trusted in this mode
        tokens.verify(_sign(load_signing_key(settings), claims))
    with pytest.raises(InvalidTokenError):
        tokens.verify(_sign(key, {**claims, "aud": "other"}, alg="RS256"))
    with pytest.raises(UnsupportedGrantTypeError):
        tokens.issue("anyone", "anything")
    for bad_org in ("bad\x00org", "Hope NGO", "", "../other"):  # never reaches a DB query
        with pytest.raises(InvalidTokenError, match="org"):
            tokens.verify(_sign(key, {**claims, "org": bad_org}, alg="RS256", typ="JWT"))


def test_external_jwks_url_is_cached_and_refreshed_for_new_kid(tmp_path: Path) -> None:
    old, _ = _external_key_file(tmp_path)
    new = RSAKey.generate_key(2048, private=True)
    new.ensure_kid()
    served = {"keys": KeySet([old]).as_dict(private=False)}
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json=served["keys"])

    remote = RemoteJWKS(
        "https://idp.example/jwks", transport=httpx.MockTransport(handler), min_refresh_seconds=0
    )
    assert remote.keyset(old.kid).get_by_kid(old.kid)
    remote.keyset(old.kid)
    assert len(calls) == 1  # cached
    served["keys"] = KeySet([old, new]).as_dict(private=False)
    assert remote.keyset(new.kid).get_by_kid(new.kid)  # unknown kid → refetch (key rotation)
    assert len(calls) == 2


def test_external_jwks_url_down_fails_closed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    remote = RemoteJWKS("https://idp.example/jwks", transport=httpx.MockTransport(handler))
    from gateway.errors import ServiceUnavailableError

    with pytest.raises(ServiceUnavailableError):
        remote.keyset(None)


def test_external_jwks_url_must_be_https() -> None:
    from gateway.auth.errors import AuthConfigError

    with pytest.raises(AuthConfigError):
        RemoteJWKS("http://idp.example/jwks")
    RemoteJWKS("http://127.0.0.1:9000/jwks")  # loopback is fine for tests and sidecars


def test_claims_model_knows_every_sector() -> None:
    from typing import get_args

    from gateway.auth.claims import Sector
    from gateway.auth.principal import SECTORS

    assert get_args(Sector) == SECTORS


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"roles": "admin"}, "roles"),
        ({"roles": ["analyst", 7]}, "roles"),
        ({"scope": ["views:read"]}, "scope"),
        ({"sector": "military"}, "sector"),
        ({"org": "Other Org"}, "org"),
        ({"sub": 42}, "sub"),
        ({"purpose": {"why": "x"}}, "purpose"),
    ],
)
def test_claims_of_the_wrong_type_are_refused(override: dict[str, object], field: str) -> None:
    from gateway.auth.claims import AccessClaims

    claims = {"sub": "c1", "org": "ngo-a", "sector": "ngo", "roles": ["analyst"], **override}
    with pytest.raises(InvalidTokenError, match=f"invalid token claims: {field}$"):
        AccessClaims.from_token({**claims, "iss": "x", "aud": "y", "custom": 1})


def test_other_issuers_claims_are_ignored_and_unknown_roles_dropped() -> None:
    from gateway.auth.tokens import _principal_from_claims

    claims = {"sub": "c1", "org": "ngo-a", "sector": "ngo", "roles": ["analyst", "wizard"],
              "iss": "x", "custom": {"nested": 1}}  # fmt: skip
    principal = _principal_from_claims(claims)
    assert (principal.roles, principal.scopes) == (
        frozenset({"analyst"}),
        frozenset({"views:read"}),
    )
