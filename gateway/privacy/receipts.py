"""Privacy receipts: a signed statement of the guarantees an output had, bound to its rows.

Defends against a recipient (or anyone later) misrepresenting an output: claiming rows came
from Beacon that did not, altering released values, or dressing up an output with stronger
guarantees than it had. The receipt is a compact JWS (ES256 with the gateway's signing key from
``gateway.auth.keys``) over the claims built by :func:`receipt_claims`, which include the
SHA-256 of the rows in a canonical form, so any changed, added, removed or reordered row breaks
it. :func:`verify_receipt` accepts only asymmetric algorithms (never ``none`` or HMAC), only the
protected header fields ``alg``, ``kid`` and ``typ = beacon-receipt+jws`` (so no ``crit``,
``b64`` or embedded ``jwk``/``jku`` can change what is checked), and refuses expired receipts.

Canonical rows, ``beacon-rows/v1`` (what :func:`rows_sha256` hashes), chosen so the same hash
comes out of the JSON, CSV and Arrow renderings of one result:

1. each row is an object ``{column name: text}``; ``text`` is :func:`canonical_text` of the
   value: null -> ``""``; booleans -> ``"true"``/``"false"``; numbers, and strings that spell
   a number (``-?digits[.digits][e[+-]digits]``, as CSV renders them) -> integers in decimal
   (``3.0`` -> ``"3"``, below 2**53), other finite floats as Python's shortest round-trip
   ``repr`` (``1e-07``), NaN/inf -> ``"NaN"``/``"Infinity"``/``"-Infinity"``; dates and times
   -> ``isoformat()``; other strings unchanged. (So null and ``""``, or ``3`` and ``"3.0"``,
   hash alike: the values a reader sees are bound, not their wire types.)
2. the rows, in output order, are serialised as one JSON array with keys sorted, separators
   ``,`` and ``:``, non-ASCII kept, UTF-8 encoded; the hash is the lowercase hex SHA-256.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet

from gateway.auth.keys import ASYMMETRIC_ALGS, signing_alg
from gateway.privacy.errors import ReceiptInvalidError

RECEIPT_TYP = "beacon-receipt+jws"
ROWS_CANONICAL = "beacon-rows/v1"
CLOCK_SKEW_SECONDS = 60
_HEADER_FIELDS = frozenset({"alg", "kid", "typ"})
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")
_INTEGER = re.compile(r"-?\d+")
_NON_FINITE = frozenset(
    sign + word for sign in ("", "+", "-") for word in ("nan", "inf", "infinity")
)


def canonical_text(value: object) -> str:
    """One cell's text in ``beacon-rows/v1``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _float_text(value)
    if isinstance(value, Decimal):
        return _number_text(str(value))
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, str):
        return _number_text(value)
    raise TypeError(f"cannot hash a {type(value).__name__} cell")


def canonical_rows(rows: Iterable[Mapping[str, object]]) -> bytes:
    """The ``beacon-rows/v1`` serialisation of rows (dicts, as ``Table.to_pylist()`` gives)."""
    canon = [{str(k): canonical_text(v) for k, v in row.items()} for row in rows]
    return json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def rows_sha256(rows: Iterable[Mapping[str, object]]) -> str:
    return hashlib.sha256(canonical_rows(rows)).hexdigest()


def coarse_count(n: int) -> int:
    """A hidden-cell count rounded to the nearest 10 (1-4 read as 0: hidden looks like none)."""
    return int((max(n, 0) + 5) // 10 * 10)


def receipt_claims(
    *,
    release_id: str,
    dataset: str,
    view: str,
    k: int,
    p: int,
    dominance: Mapping[str, Any] | None,
    noise: Mapping[str, Any],
    generalisation: Mapping[str, str],
    policy_revision: str,
    decision_id: str,
    hidden_by_reason: Mapping[str, int] | None,
    rows_sha256: str,
    issued_at: dt.datetime,
    expires_at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The receipt's claims. ``noise`` is ``PerturbationTable.params()`` for cell-key mode, or
    ``{"method": "dp", "epsilon_spent": .., "epsilon_remaining": .., "confidence": 0.95}``,
    or ``{"method": "none"}``; ``dominance`` e.g. ``{"n": 2, "share": 0.85}`` (None: no sums).
    Pass ``hidden_by_reason=None`` for a filtered single-cell query (nothing is said)."""
    if not re.fullmatch(r"[0-9a-f]{64}", rows_sha256):
        raise ValueError("rows_sha256 must be a lowercase hex SHA-256")
    if issued_at.tzinfo is None:
        raise ValueError("issued_at must be timezone-aware")
    hidden = None
    if hidden_by_reason is not None:
        hidden = {reason: coarse_count(n) for reason, n in sorted(hidden_by_reason.items())}
    claims: dict[str, Any] = {
        "release_id": release_id,
        "dataset": dataset,
        "view": view,
        "k": k,
        "p": p,
        "dominance": dict(dominance) if dominance is not None else None,
        "noise": dict(noise),
        "totals": "computed from their own records, never by adding released cells",
        "generalisation": dict(generalisation),
        "policy_revision": policy_revision,
        "decision_id": decision_id,
        "hidden_cells_by_reason": hidden,
        "rows_canonical": ROWS_CANONICAL,
        "rows_sha256": rows_sha256,
        "iat": int(issued_at.timestamp()),
    }
    if expires_at is not None:
        claims["exp"] = int(expires_at.timestamp())
    return claims


def sign_receipt(claims: Mapping[str, Any], key: Key) -> str:
    """Compact JWS over the claims with the gateway's private key (ES256 for its EC key)."""
    alg = signing_alg(key)
    if not key.kid:
        raise ValueError("the signing key needs a kid (load_signing_key sets one)")
    header = {"alg": alg, "kid": key.kid, "typ": RECEIPT_TYP}
    payload = json.dumps(dict(claims), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return jws.serialize_compact(header, payload.encode(), key, algorithms=[alg])


def verify_receipt(
    token: str, jwks: Mapping[str, Any] | KeySet, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The claims of a receipt whose header, signature (by a key in ``jwks``) and times hold."""
    header = _header(token)
    keyset = jwks if isinstance(jwks, KeySet) else _keyset(jwks)
    candidates = [k for k in keyset if k.kid == header.get("kid")] if "kid" in header else []
    if not candidates:
        raise ReceiptInvalidError("the receipt was not signed by a key in this key set")
    for key in candidates:
        try:
            signed = jws.deserialize_compact(token, key, algorithms=[header["alg"]])
            break
        except (JoseError, ValueError, TypeError):
            continue
    else:
        raise ReceiptInvalidError("the receipt's signature does not verify")
    claims = _claims(signed.payload)
    _check_times(claims, now or dt.datetime.now(dt.UTC))
    return claims


def check_rows(claims: Mapping[str, Any], rows: Iterable[Mapping[str, object]]) -> None:
    """Raise unless the rows hash to the receipt's ``rows_sha256``."""
    if claims.get("rows_canonical") != ROWS_CANONICAL:
        raise ReceiptInvalidError("the receipt uses an unknown rows serialisation")
    if claims.get("rows_sha256") != rows_sha256(rows):
        raise ReceiptInvalidError("the rows do not match the receipt (sha256 differs)")


def _header(token: str) -> dict[str, Any]:
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3 or not all(parts[:2]):
        raise ReceiptInvalidError("not a compact JWS")
    try:
        header = json.loads(_b64decode(parts[0]))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptInvalidError("the receipt header is not valid JSON") from exc
    if not isinstance(header, dict) or not set(header) <= _HEADER_FIELDS:
        raise ReceiptInvalidError("the receipt header has unsupported fields")
    if header.get("alg") not in ASYMMETRIC_ALGS:
        raise ReceiptInvalidError("the receipt's signing algorithm is not accepted")
    if header.get("typ") != RECEIPT_TYP:
        raise ReceiptInvalidError("not a Beacon privacy receipt (typ)")
    return header


def _keyset(jwks: Mapping[str, Any]) -> KeySet:
    try:
        return KeySet.import_key_set(dict(jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise ReceiptInvalidError("the key set is not a usable JWKS") from exc


def _claims(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReceiptInvalidError("the receipt payload is not JSON") from exc
    if not isinstance(claims, dict) or not isinstance(claims.get("iat"), int):
        raise ReceiptInvalidError("the receipt payload is not a claims object with iat")
    return claims


def _check_times(claims: Mapping[str, Any], now: dt.datetime) -> None:
    ts = now.timestamp()
    if claims["iat"] > ts + CLOCK_SKEW_SECONDS:
        raise ReceiptInvalidError("the receipt is issued in the future")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, int) or ts >= exp + CLOCK_SKEW_SECONDS):
        raise ReceiptInvalidError("the receipt has expired")


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _number_text(text: str) -> str:
    if _INTEGER.fullmatch(text):
        return str(int(text))
    if _NUMBER.fullmatch(text):
        return _float_text(float(text))
    if text.lower() in _NON_FINITE:
        return _float_text(float(text))
    return text


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)
