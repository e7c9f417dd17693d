"""Privacy receipts: ES256 JWS with the gateway's key, bound to the rows in every format."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.ipc as ipc
import pytest
from joserfc import jwk, jws
from joserfc.jwk import Key
from joserfc.jws import JWSRegistry

from gateway.auth.keys import load_signing_key, public_jwk
from gateway.privacy.cellkey import default_table
from gateway.privacy.errors import ReceiptInvalidError
from gateway.privacy.receipt_files import ARROW_METADATA_KEY, csv_receipt_line, read_receipted
from gateway.privacy.receipts import (
    RECEIPT_TYP,
    canonical_text,
    check_rows,
    coarse_count,
    receipt_claims,
    rows_sha256,
    sign_receipt,
    verify_receipt,
)
from gateway.settings import Settings

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _key() -> Key:
    key = jwk.generate_key("EC", "P-256")
    key.ensure_kid()
    return key


def _jwks(*keys: Key) -> dict[str, Any]:
    return {"keys": [public_jwk(k) for k in keys]}


def _table() -> pa.Table:
    return pa.table(
        {
            "country": ["NG", "GH", "NG, Lagos", None],
            "month": ["2026-01", "2026-02", "2026-03", "2026-04"],
            "reports": pa.array([12, 30, 11, 14], pa.int64()),
            "victims": [13.0, 41.5, 1e-7, 2.0e20],
            "flagged": [True, False, None, True],
        }
    )


def _claims(rows: list[dict[str, Any]], **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "release_id": "rel-1",
        "dataset": "incident_reports",
        "view": "incidents_by_country",
        "k": 10,
        "p": 2,
        "dominance": {"n": 2, "share": 0.85},
        "noise": default_table().params(),
        "generalisation": {"time": "month"},
        "policy_revision": "rev-7",
        "decision_id": "dec-1",
        "hidden_by_reason": {"threshold": 23, "dominance": 3},
        "rows_sha256": rows_sha256(rows),
        "issued_at": NOW,
    }
    return receipt_claims(**{**base, **overrides})


@pytest.fixture
def key() -> Key:
    return _key()


def test_a_receipt_signed_with_the_gateway_key_verifies_against_its_jwks(tmp_path: Path) -> None:
    gateway_key = load_signing_key(Settings(data_dir=tmp_path))
    rows = _table().to_pylist()
    token = sign_receipt(_claims(rows), gateway_key)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": gateway_key.kid, "typ": RECEIPT_TYP}
    claims = verify_receipt(token, _jwks(gateway_key), now=NOW)
    assert claims["noise"]["table_id"] == default_table().table_id
    assert claims["hidden_cells_by_reason"] == {"dominance": 0, "threshold": 20}
    check_rows(claims, rows)


def test_a_key_without_a_kid_cannot_sign() -> None:
    with pytest.raises(ValueError, match="kid"):
        sign_receipt(_claims([]), jwk.generate_key("EC", "P-256"))


def test_a_tampered_payload_is_rejected(key: Key) -> None:
    token = sign_receipt(_claims([]), key)
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["k"] = 50  # claim stronger protection than the output had
    forged = f"{head}.{_b64(json.dumps(claims).encode())}.{sig}"
    with pytest.raises(ReceiptInvalidError, match="signature"):
        verify_receipt(forged, _jwks(key), now=NOW)


def test_a_receipt_from_another_key_is_rejected(key: Key) -> None:
    other = _key()
    token = sign_receipt(_claims([]), other)
    with pytest.raises(ReceiptInvalidError, match="not signed by a key"):
        verify_receipt(token, _jwks(key), now=NOW)
    impostor = jwk.import_key({**public_jwk(_key()), "kid": key.kid})  # same kid, other key
    with pytest.raises(ReceiptInvalidError, match="signature"):
        verify_receipt(sign_receipt(_claims([]), key), {"keys": [impostor.as_dict()]}, now=NOW)


def test_alg_none_and_hmac_with_the_public_key_are_rejected(key: Key) -> None:
    payload = _b64(json.dumps(_claims([])).encode())
    none_head = _b64(json.dumps({"alg": "none", "kid": key.kid, "typ": RECEIPT_TYP}).encode())
    with pytest.raises(ReceiptInvalidError, match="algorithm"):
        verify_receipt(f"{none_head}.{payload}.", _jwks(key), now=NOW)
    secret = jwk.import_key(json.dumps(public_jwk(key)).encode(), "oct")
    hs = jws.serialize_compact(
        {"alg": "HS256", "kid": key.kid, "typ": RECEIPT_TYP}, payload, secret, algorithms=["HS256"]
    )
    with pytest.raises(ReceiptInvalidError, match="algorithm"):
        verify_receipt(hs, _jwks(key), now=NOW)


@pytest.mark.parametrize(
    "extra", [{"crit": ["exp"]}, {"b64": False}, {"jku": "https://evil.example/jwks"}]
)
def test_unsupported_header_fields_are_rejected(key: Key, extra: dict[str, Any]) -> None:
    header = {"alg": "ES256", "kid": key.kid, "typ": RECEIPT_TYP, **extra}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(_claims([])).encode())}"
    signature = JWSRegistry.algorithms["ES256"].sign(signing_input.encode(), key)
    token = f"{signing_input}.{_b64(signature)}"  # validly signed, header and all
    with pytest.raises(ReceiptInvalidError, match="unsupported fields"):
        verify_receipt(token, _jwks(key), now=NOW)


def test_another_token_type_is_not_a_receipt(key: Key) -> None:
    header = {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    token = jws.serialize_compact(header, json.dumps(_claims([])), key, algorithms=["ES256"])
    with pytest.raises(ReceiptInvalidError, match="typ"):
        verify_receipt(token, _jwks(key), now=NOW)


def test_expired_and_future_receipts_are_rejected(key: Key) -> None:
    expiring = _claims([], expires_at=NOW + dt.timedelta(days=1))
    token = sign_receipt(expiring, key)
    assert verify_receipt(token, _jwks(key), now=NOW)["exp"] == expiring["exp"]
    with pytest.raises(ReceiptInvalidError, match="expired"):
        verify_receipt(token, _jwks(key), now=NOW + dt.timedelta(days=2))
    with pytest.raises(ReceiptInvalidError, match="future"):
        verify_receipt(token, _jwks(key), now=NOW - dt.timedelta(hours=1))


def test_garbage_is_not_a_receipt(key: Key) -> None:
    for token in ("", "a.b", "not-a-jws", "e30.e30.", "!!!.e30.sig"):
        with pytest.raises(ReceiptInvalidError):
            verify_receipt(token, _jwks(key), now=NOW)
    with pytest.raises(ReceiptInvalidError, match="JWKS"):
        verify_receipt(sign_receipt(_claims([]), key), {"keys": [{"kty": "nope"}]}, now=NOW)


def test_canonical_text_renders_what_every_format_shows_alike() -> None:
    cases = {
        None: "",
        "": "",
        True: "true",
        3: "3",
        3.5: "3.5",
        "3.0": "3",
        -0.0: "0",
        "-0": "0",
        0.1: "0.1",
        1e-7: "1e-07",
        "1e-7": "1e-07",
        2.0e20: "2e+20",
        "1e+20": "1e+20",
        float("nan"): "NaN",
        "inf": "Infinity",
        dt.date(2026, 1, 31): "2026-01-31",
        "NG": "NG",
        " 3": " 3",
        "1_000": "1_000",
    }
    for value, text in cases.items():
        assert canonical_text(value) == text, value
    with pytest.raises(TypeError):
        canonical_text([1, 2])


def _json_answer(table: pa.Table, token: str) -> bytes:
    body = {"view": "v", "rows": table.to_pylist(), "receipt": {"jws": token}}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _csv_answer(table: pa.Table, token: str) -> bytes:
    sink = io.BytesIO()
    pacsv.write_csv(table, sink)
    return csv_receipt_line(token).encode() + sink.getvalue()


def _arrow_answer(table: pa.Table, token: str) -> bytes:
    meta = {"beacon.view": json.dumps("v"), ARROW_METADATA_KEY: json.dumps(token)}
    table = table.replace_schema_metadata(meta)
    sink = pa.BufferOutputStream()
    with ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


@pytest.mark.parametrize("render", [_json_answer, _csv_answer, _arrow_answer])
def test_the_row_hash_is_the_same_from_json_csv_and_arrow(render: Any, key: Key) -> None:
    table = _table()
    token = sign_receipt(_claims(table.to_pylist()), key)
    found, rows = read_receipted(render(table, token))
    assert found == token
    check_rows(verify_receipt(found, _jwks(key), now=NOW), rows)


@pytest.mark.parametrize("render", [_json_answer, _csv_answer, _arrow_answer])
def test_changed_or_reordered_rows_do_not_match_the_receipt(render: Any, key: Key) -> None:
    table = _table()
    claims = verify_receipt(sign_receipt(_claims(table.to_pylist()), key), _jwks(key), now=NOW)
    altered = table.set_column(2, "reports", pa.array([12, 30, 12, 14], pa.int64()))
    for changed in (altered, table.take([1, 0, 2, 3]), table.slice(0, 3)):
        _, rows = read_receipted(render(changed, "x.y.z"))
        with pytest.raises(ReceiptInvalidError, match="do not match"):
            check_rows(claims, rows)


def test_an_output_without_a_receipt_is_reported_as_such() -> None:
    for data in (b'{"rows": []}', b"not json", b'{"rows": [1]}'):
        with pytest.raises(ReceiptInvalidError):
            read_receipted(data)
    with pytest.raises(ReceiptInvalidError, match="metadata"):
        read_receipted(
            _arrow_answer(_table(), "a.b.c").replace(b"beacon.receipt", b"beacon.nothing")
        )


def test_claims_state_the_guarantees_and_coarsen_hidden_counts() -> None:
    claims = _claims([])
    for field in (
        "release_id", "dataset", "view", "k", "p", "dominance", "noise", "totals",
        "generalisation", "policy_revision", "decision_id", "hidden_cells_by_reason",
        "rows_sha256", "rows_canonical", "iat",
    ):  # fmt: skip
        assert field in claims
    assert claims["iat"] == int(NOW.timestamp())
    assert [coarse_count(n) for n in (0, 4, 5, 14, 15, 996)] == [0, 0, 10, 10, 20, 1000]
    assert _claims([], hidden_by_reason=None)["hidden_cells_by_reason"] is None
    with pytest.raises(ValueError, match="sha256"):
        _claims([], rows_sha256="abc")
    with pytest.raises(ValueError, match="aware"):
        _claims([], issued_at=dt.datetime(2026, 1, 1))
