"""Where token keys come from: our own signing key, or an external issuer's JWKS.

Defends against forged tokens: only asymmetric algorithms are ever accepted (no ``none``, no
HMAC with a public key as secret), the dev key is created once with 0600 permissions, and a
remote JWKS is fetched with a timeout and cached (refreshed on an unknown ``kid`` at most every
``min_refresh_seconds``).
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jwk
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, Key, KeySet, RSAKey

from gateway.auth.errors import AuthConfigError
from gateway.errors import ServiceUnavailableError
from gateway.settings import Settings

ASYMMETRIC_ALGS = ("ES256", "ES384", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512")


def default_key_path(settings: Settings) -> Path:
    return settings.data_dir / "keys" / "signing.pem"


def signing_alg(key: Key) -> str:
    if isinstance(key, ECKey):
        alg = {"P-256": "ES256", "P-384": "ES384"}.get(key.curve_name)
        if alg:
            return alg
    if isinstance(key, RSAKey):
        return "RS256"
    raise AuthConfigError("signing key must be an EC P-256/P-384 or RSA private key")


def load_signing_key(settings: Settings) -> Key:
    """The PEM private key at auth.signing_key_path, or (dev mode) one generated once."""
    path = settings.auth.signing_key_path
    if path is None:
        if settings.mode != "dev":
            raise AuthConfigError("auth.signing_key_path is required outside dev mode")
        path = default_key_path(settings)
        if not path.exists():
            _create_key_file(path)
    try:
        key = _import_pem(path.read_bytes())
    except FileNotFoundError as exc:
        raise AuthConfigError(f"signing key not found: {path}") from exc
    except (JoseError, ValueError, TypeError) as exc:
        raise AuthConfigError(f"signing key is not a usable PEM private key: {path}") from exc
    if not key.is_private:
        raise AuthConfigError(f"signing key must be a private key: {path}")
    signing_alg(key)
    key.ensure_kid()
    return key


def _import_pem(pem: bytes) -> Key:
    private = serialization.load_pem_private_key(pem, password=None)
    if isinstance(private, ec.EllipticCurvePrivateKey):
        return jwk.import_key(pem, "EC")
    if isinstance(private, rsa.RSAPrivateKey):
        return jwk.import_key(pem, "RSA")
    raise ValueError("unsupported key type")


def _create_key_file(path: Path) -> None:
    """Write a fresh ES256 key atomically; if another process wins the race, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = jwk.generate_key("EC", "P-256").as_pem(private=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)  # atomic and refuses to overwrite
    finally:
        tmp.unlink(missing_ok=True)


def public_jwk(key: Key) -> dict[str, Any]:
    return dict(key.as_dict(private=False, alg=signing_alg(key), use="sig"))


class StaticKeys:
    """A fixed key set (our own public key, or a JWKS file)."""

    def __init__(self, keyset: KeySet) -> None:
        self._keyset = keyset

    @classmethod
    def from_file(cls, path: Path) -> StaticKeys:
        try:
            return cls(KeySet.import_key_set(json.loads(path.read_text())))
        except (OSError, ValueError, JoseError, KeyError, TypeError) as exc:
            raise AuthConfigError(f"cannot load external JWKS from {path}") from exc

    def keyset(self, kid: str | None) -> KeySet:
        return self._keyset


class RemoteJWKS:
    """An external issuer's JWKS over HTTPS, cached for ``ttl_seconds``."""

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float = 5.0,
        ttl_seconds: float = 300.0,
        min_refresh_seconds: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        parsed = httpx.URL(url)
        if parsed.scheme != "https" and parsed.host not in ("127.0.0.1", "localhost", "::1"):
            raise AuthConfigError("auth.external_jwks_url must use https (or a loopback host)")
        self._url = url
        self._timeout = timeout_seconds
        self._ttl = ttl_seconds
        self._min_refresh = min_refresh_seconds
        self._transport = transport
        self._lock = threading.Lock()
        self._cached: KeySet | None = None
        self._fetched_at = float("-inf")

    def keyset(self, kid: str | None) -> KeySet:
        with self._lock:
            age = time.monotonic() - self._fetched_at
            stale = self._cached is None or age > self._ttl
            unknown_kid = (
                self._cached is not None
                and kid is not None
                and all(k.kid != kid for k in self._cached)
                and age > self._min_refresh
            )
            if stale or unknown_kid:
                self._refresh()
            assert self._cached is not None
            return self._cached

    def _refresh(self) -> None:
        try:
            with httpx.Client(timeout=self._timeout, transport=self._transport) as client:
                response = client.get(self._url, headers={"Accept": "application/json"})
                response.raise_for_status()
                keyset = KeySet.import_key_set(response.json())
        except (httpx.HTTPError, ValueError, JoseError, KeyError, TypeError) as exc:
            if self._cached is None:
                raise ServiceUnavailableError("the token issuer's keys are unavailable") from exc
            # Keep serving the last good key set; retry after min_refresh, not on every request.
            self._fetched_at = time.monotonic() - self._ttl + self._min_refresh
            return
        self._cached = keyset
        self._fetched_at = time.monotonic()
