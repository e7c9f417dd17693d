"""Client-secret hashing with scrypt (defends against secret theft from a leaked database).

Format: ``scrypt$<n>$<r>$<p>$<salt b64>$<hash b64>`` so parameters can be raised later while old
hashes keep verifying. Comparison is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import lru_cache

_N, _R, _P = 2**14, 8, 1  # ~16 MiB, tens of ms: expensive for offline guessing, fine per token
_DKLEN = 32
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN, maxmem=_MAXMEM
    )
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def verify_secret(secret: str, encoded: str) -> bool:
    """True if ``secret`` matches ``encoded``; malformed hashes never match."""
    try:
        scheme, n, r, p, salt, expected = encoded.split("$")
        if scheme != "scrypt":
            return False
        digest = hashlib.scrypt(
            secret.encode(),
            salt=_unb64(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(_unb64(expected)),
            maxmem=_MAXMEM,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest, _unb64(expected))


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when the client id is unknown, so timing does not reveal it."""
    return hash_secret(secrets.token_urlsafe(32))


def new_secret() -> str:
    return secrets.token_urlsafe(32)
