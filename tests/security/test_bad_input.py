"""Bad input against the full app over real HTTP: a precise problem+json, nothing written.

Defends against leaky or partial failure handling (issue 3, "Bad input"): every case must
answer with RFC 9457 members, ``application/problem+json``, no traceback, file path or SQL, no
row data, and leave the Delta tables, the quarantine and the batch records untouched.
"""

from __future__ import annotations

import base64
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connectors.synthetic.synth import generate
from tests.security.live import (
    SEED_KEY,
    Gateway,
    csv_bytes,
    expired_token,
    wrong_audience_token,
)
from tests.security.problem import assert_problem

pytestmark = pytest.mark.integration

VALID = generate("incident_reports", 20, seed=1)
VALID_CSV = csv_bytes(VALID)
ROW_VALUES = [*VALID.column("report_id").to_pylist()[:5]]
LEAK_CELL = "ZZ-LEAK-CELL-7781"


# -- request builders -------------------------------------------------------------------------


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _post(gw: Gateway, headers: dict[str, Any], body: Any, dataset: str = "incident_reports"):  # type: ignore[no-untyped-def]
    return httpx.post(
        f"{gw.url}/v1/datasets/{dataset}/batches", content=body, headers=headers, timeout=60
    )


def _upload_with_token(token: Callable[[Gateway], str]) -> Callable[[Gateway], httpx.Response]:
    def run(gw: Gateway) -> httpx.Response:
        headers = {**_bearer(token(gw)), "Content-Type": "text/csv", "Idempotency-Key": "k-tok"}
        return _post(gw, headers, VALID_CSV)

    return run


def _get(path: str, who: str | None = "ngo_analyst", *, down: bool = False):  # type: ignore[no-untyped-def]
    def run(gw: Gateway) -> httpx.Response:
        resolved = path.format(ngo_batch=gw.batches["safe-harbour"], random=uuid.uuid4())
        return httpx.get(f"{gw.down_url if down else gw.url}{resolved}", headers=gw.auth(who))

    return run


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(part: str) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return out


def _tampered(gw: Gateway) -> str:
    """The NGO's own token with its org claim swapped for the bank's; signature kept."""
    header, payload, signature = gw.tokens["ngo_uploader"].split(".")
    claims = _unb64(payload) | {"org": "northbank", "sector": "financial"}
    return ".".join([header, _b64(json.dumps(claims).encode()), signature])


def _alg_none(gw: Gateway) -> str:
    _, payload, _ = gw.tokens["ngo_uploader"].split(".")
    return ".".join([_b64(b'{"alg":"none","typ":"at+jwt"}'), payload, ""])


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _bool_for_date() -> bytes:
    i = VALID.schema.get_field_index("occurred_on")
    flags = pa.array([n % 2 == 0 for n in range(VALID.num_rows)], pa.bool_())
    return _parquet(VALID.set_column(i, "occurred_on", flags))


def _invalid_utf8_arrow() -> bytes:
    """Arrow IPC does not validate text: a writer can smuggle non-UTF-8 bytes into a string."""
    n = VALID.num_rows
    data = b"".join(b"\xff\xfe" for _ in range(n))
    offsets = pa.array(range(0, 2 * n + 1, 2), pa.int32()).buffers()[1]
    bad = pa.Array.from_buffers(pa.string(), n, [None, offsets, pa.py_buffer(data)])
    table = VALID.set_column(VALID.schema.get_field_index("narrative"), "narrative", bad)
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue()


def _ragged_csv() -> bytes:
    lines = VALID_CSV.decode().splitlines()
    return "\n".join([*lines[:4], f"{LEAK_CELL},extra,fields,{LEAK_CELL}", *lines[4:]]).encode()


def _chunks(data: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


BIG_CSV = csv_bytes(generate("incident_reports", 300, seed=1))  # > MAX_BODY_BYTES


# -- the case table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    status: int
    type: str  # problem type, after TYPE_BASE
    send: Callable[[Gateway], httpx.Response]
    check: Callable[[Gateway, httpx.Response, dict[str, Any]], None] | None = None
    absent: tuple[str, ...] = field(default=())  # strings the body must not contain


def _upload(body: bytes, *, down: bool = False, **kw: Any) -> Callable[[Gateway], httpx.Response]:
    return lambda gw: gw.upload(body, base=gw.down_url if down else None, **kw)


def _www_authenticate(gw: Gateway, r: httpx.Response, body: dict[str, Any]) -> None:
    assert r.headers.get("www-authenticate", "").lower().startswith("bearer")


def _expect(**members: Any) -> Callable[[Gateway, httpx.Response, dict[str, Any]], None]:
    def check(gw: Gateway, r: httpx.Response, body: dict[str, Any]) -> None:
        for name, value in members.items():
            assert body.get(name) == value, (name, body)

    return check


def _reason(prefix: str) -> Callable[[Gateway, httpx.Response, dict[str, Any]], None]:
    def check(gw: Gateway, r: httpx.Response, body: dict[str, Any]) -> None:
        assert any(str(x).startswith(prefix) for x in body.get("reasons", [])), body["reasons"]

    return check


def _same_as_random_batch(gw: Gateway, r: httpx.Response, body: dict[str, Any]) -> None:
    """Another org's batch looks exactly like a batch that does not exist."""
    ngo_batch = gw.batches["safe-harbour"]
    random_id = str(uuid.uuid4())
    path = r.request.url.path.replace(ngo_batch, random_id)
    other = httpx.get(f"{gw.url}{path}", headers=gw.auth("bank"))
    assert other.status_code == r.status_code
    assert set(other.headers) - {"x-request-id", "date"} == set(r.headers) - {
        "x-request-id",
        "date",
    }
    mine = {k: v for k, v in body.items() if k != "instance"}
    theirs = {k: v for k, v in other.json().items() if k != "instance"}
    assert json.loads(json.dumps(mine).replace(ngo_batch, random_id)) == theirs
    assert "safe-harbour" not in r.text


def _audited(kind: str) -> Callable[[Gateway, httpx.Response, dict[str, Any]], None]:
    """The refusal is on the audit trail under the response's request id."""

    def check(gw: Gateway, r: httpx.Response, body: dict[str, Any]) -> None:
        events = httpx.get(
            f"{gw.url}/v1/audit/events",
            params={"kind": kind, "limit": 1000},
            headers=gw.auth("governance"),
        )
        assert events.status_code == 200, events.text
        ids = {e["request_id"] for e in events.json()["items"]}
        assert r.headers["x-request-id"] in ids
        verify = httpx.get(f"{gw.url}/v1/audit/verify", headers=gw.auth("governance"))
        assert verify.json()["ok"] is True, verify.text  # what was hashed is what was stored

    return check


def _not_down_data(gw: Gateway, r: httpx.Response, body: dict[str, Any]) -> None:
    assert r.headers.get("retry-after") is None or r.headers["retry-after"].isdigit()
    assert "rows" not in body and "views" not in body


CASES = [
    # ingest: what the body or headers say
    Case("unknown-dataset", 404, "unknown-dataset", _upload(VALID_CSV, dataset="no_such_dataset")),
    Case(
        "wrong-content-type",
        415,
        "unsupported-media-type",
        _upload(VALID_CSV, content_type="application/json"),
    ),
    Case(
        "csv-not-utf8",
        415,
        "unsupported-media-type",
        _upload(VALID_CSV, content_type="text/csv; charset=latin-1"),
    ),
    Case("empty-body", 400, "malformed-upload", _upload(b"")),
    Case(
        "malformed-csv-ragged-row",
        400,
        "malformed-upload",
        _upload(_ragged_csv()),
        _expect(record=5),
        absent=(LEAK_CELL,),
    ),
    Case(
        "malformed-csv-invalid-utf8",
        400,
        "malformed-upload",
        _upload(VALID_CSV.replace(b"ir-", b"\xff\xfe-", 3)),
    ),
    Case(
        "malformed-parquet",
        400,
        "malformed-upload",
        _upload(b"PAR1" + b"\x00garbage" * 50 + b"PAR1", content_type="application/x-parquet"),
    ),
    Case(
        "malformed-arrow-stream",
        400,
        "malformed-upload",
        _upload(VALID_CSV, content_type="application/vnd.apache.arrow.stream"),
    ),
    Case(
        "wrong-column-type-bool-for-date",
        422,
        "schema-mismatch",
        _upload(_bool_for_date(), content_type="application/vnd.apache.parquet"),
        _expect(
            type_mismatches=[{"column": "occurred_on", "expected": "date", "found": "bool"}],
            missing_columns=[],
            unexpected_columns=[],
        ),
    ),
    Case(
        "invalid-utf8-in-arrow-text",
        400,
        "invalid-encoding",
        _upload(_invalid_utf8_arrow(), content_type="application/vnd.apache.arrow.stream"),
    ),
    Case(
        "missing-required-columns",
        422,
        "schema-mismatch",
        _upload(csv_bytes(VALID.drop_columns(["country", "victim_count"]))),
        _expect(missing_columns=["country", "victim_count"], unexpected_columns=[]),
    ),
    Case(
        "extra-columns",
        422,
        "schema-mismatch",
        _upload(
            csv_bytes(VALID.append_column("victim_name", pa.array([LEAK_CELL] * VALID.num_rows)))
        ),
        _expect(missing_columns=[], unexpected_columns=["victim_name"]),
        absent=(LEAK_CELL,),
    ),
    Case(
        "oversized-declared-length",
        413,
        "payload-too-large",
        _upload(BIG_CSV),
        _expect(limit=32 * 1024),
    ),
    Case(
        "oversized-chunked-stream",
        413,
        "payload-too-large",
        lambda gw: _post(
            gw,
            {**gw.auth("ngo_uploader"), "Content-Type": "text/csv", "Idempotency-Key": "k-big"},
            _chunks(BIG_CSV),
        ),
    ),
    Case(
        "missing-idempotency-key",
        400,
        "idempotency-key",
        lambda gw: _post(gw, {**gw.auth("ngo_uploader"), "Content-Type": "text/csv"}, VALID_CSV),
    ),
    Case(
        "idempotency-key-not-ascii",
        400,
        "idempotency-key",
        lambda gw: _post(
            gw,
            {
                **gw.auth("ngo_uploader"),
                "Content-Type": "text/csv",
                "Idempotency-Key": "cl\xe9".encode("latin-1"),
            },
            VALID_CSV,
        ),
    ),
    Case(
        "idempotency-key-too-long",
        400,
        "idempotency-key",
        _upload(VALID_CSV, key="k" * 201),
    ),
    Case(
        "idempotency-key-reused-other-body",
        409,
        "idempotency-conflict",
        _upload(VALID_CSV, key=SEED_KEY),
    ),
    # authentication: 401 with a Bearer challenge
    Case(
        "missing-token",
        401,
        "invalid-token",
        _upload(VALID_CSV, who=None),
        _www_authenticate,
    ),
    Case(
        "basic-instead-of-bearer",
        401,
        "invalid-token",
        lambda gw: _post(
            gw,
            {
                "Authorization": "Basic dXNlcjpwdw==",
                "Content-Type": "text/csv",
                "Idempotency-Key": "k",
            },
            VALID_CSV,
        ),
        _www_authenticate,
    ),
    Case(
        "garbage-token",
        401,
        "invalid-token",
        _upload_with_token(lambda gw: "not.a.jwt"),
        _www_authenticate,
    ),
    Case(
        "tampered-signature",
        401,
        "invalid-token",
        _upload_with_token(_tampered),
        _www_authenticate,
    ),
    Case("alg-none", 401, "invalid-token", _upload_with_token(_alg_none), _www_authenticate),
    Case(
        "expired-token",
        401,
        "invalid-token",
        _upload_with_token(lambda gw: expired_token(gw, "ngo_uploader")),
        _www_authenticate,
    ),
    Case(
        "wrong-audience",
        401,
        "invalid-token",
        _upload_with_token(lambda gw: wrong_audience_token(gw, "ngo_uploader")),
        _www_authenticate,
    ),
    Case(
        "wrong-audience-on-views",
        401,
        "invalid-token",
        lambda gw: httpx.get(
            f"{gw.url}/v1/views", headers=_bearer(wrong_audience_token(gw, "ngo_analyst"))
        ),
        _www_authenticate,
    ),
    # authorisation: scopes, ownership, policy
    Case(
        "analyst-uploads",
        403,
        "insufficient-scope",
        _upload(VALID_CSV, who="ngo_analyst"),
        _expect(required_scopes=["batches:write"]),
    ),
    Case(
        "uploader-lists-views",
        403,
        "insufficient-scope",
        _get("/v1/views", "ngo_uploader"),
        _expect(required_scopes=["views:read"]),
    ),
    Case(
        "uploader-queries-view",
        403,
        "insufficient-scope",
        _get("/v1/views/incident_hotspots?group_by=country", "ngo_uploader"),
    ),
    Case(
        "other-orgs-batch",
        404,
        "batch-not-found",
        _get("/v1/batches/{ngo_batch}", "bank"),
        _same_as_random_batch,
    ),
    Case(
        "other-orgs-rejections",
        404,
        "batch-not-found",
        _get("/v1/batches/{ngo_batch}/rejections?format=csv", "bank"),
        _same_as_random_batch,
    ),
    Case("random-batch-id", 404, "batch-not-found", _get("/v1/batches/{random}", "bank")),
    # NUL bytes: PostgreSQL refuses them in text, so they must never reach a query unchecked
    Case("batch-id-nul", 404, "batch-not-found", _get("/v1/batches/%00", "ngo_uploader")),
    Case("audit-kind-nul", 422, "validation", _get("/v1/audit/events?kind=%00", "governance")),
    Case(
        "token-client-id-nul",
        401,
        "invalid-client",
        lambda gw: httpx.post(
            f"{gw.url}/oauth/token",
            data={"grant_type": "client_credentials", "client_id": "a\x00b", "client_secret": "x"},
        ),
    ),
    Case(
        "token-scope-nul",
        400,
        "oauth-invalid-scope",
        lambda gw: httpx.post(
            f"{gw.url}/oauth/token",
            data={"grant_type": "client_credentials", "scope": "views:read\x00"},
            auth=gw.secrets["ngo_analyst"],
        ),
        _audited("token.issue"),
    ),
    Case(
        "dataset-name-nul",
        404,
        "unknown-dataset",
        _upload(VALID_CSV, dataset="incident_reports%00"),
        _audited("batch.upload"),
    ),
    Case("batch-id-not-a-uuid", 404, "batch-not-found", _get("/v1/batches/not-a-uuid", "bank")),
    Case(
        "batch-id-oversized",
        404,
        "batch-not-found",
        _get("/v1/batches/" + "a" * 300 + "/rejections", "ngo_uploader"),
    ),
    Case(
        "oversized-token",
        401,
        "invalid-token",
        _upload_with_token(lambda gw: "a" * 9000),
        _www_authenticate,
    ),
    Case(
        "non-contributor-uploads",
        403,
        "policy-denied",
        _upload(VALID_CSV, who="bank"),
    ),
    # views
    Case("unknown-view", 404, "unknown-view", _get("/v1/views/no_such_view")),
    Case(
        "non-permitted-view",
        403,
        "policy-denied",
        _get("/v1/views/supply_chain_risk?group_by=sector"),
    ),
    Case(
        "non-permitted-dimension",
        403,
        "policy-denied",
        _get("/v1/views/incident_hotspots?group_by=country,h3_cell"),
        _reason("dimension_not_permitted:h3_cell"),
    ),
    Case(
        "non-permitted-filter-dimension",
        403,
        "policy-denied",
        _get("/v1/views/incident_hotspots?group_by=country&filter[nationality]=TH"),
        _reason("filter_not_permitted:nationality"),
    ),
    Case(
        "group-by-identifier",
        400,
        "unknown-dimension",
        _get("/v1/views/incident_hotspots?group_by=report_id"),
    ),
    Case(
        "group-by-free-text",
        400,
        "unknown-dimension",
        _get("/v1/views/incident_hotspots?group_by=narrative"),
    ),
    Case(
        "filter-on-free-text",
        400,
        "unknown-dimension",
        _get("/v1/views/incident_hotspots?group_by=country&filter[narrative]=x"),
    ),
    Case(
        "group-by-sql-injection",
        400,
        "unknown-dimension",
        _get("/v1/views/incident_hotspots?group_by=country)%3BDROP%20TABLE%20x%3B--"),
    ),
    Case(
        "group-by-too-long",
        422,
        "validation",
        _get("/v1/views/incident_hotspots?group_by=" + "country," * 200),
    ),
    Case(
        "too-many-filter-values",
        400,
        "invalid-view-query",
        _get("/v1/views/incident_hotspots?group_by=country&filter[country]=" + "TH," * 201),
    ),
    Case(
        "unknown-query-parameter",
        400,
        "invalid-view-query",
        _get("/v1/views/incident_hotspots?group_by=country&select=*"),
    ),
    Case(
        "unknown-format",
        422,
        "validation",
        _get("/v1/views/incident_hotspots?group_by=country&format=xlsx"),
    ),
    # the policy engine is down: fail closed
    Case(
        "policy-down-upload",
        503,
        "policy-unavailable",
        _upload(VALID_CSV, down=True),
        _not_down_data,
    ),
    Case(
        "policy-down-views-list",
        503,
        "policy-unavailable",
        _get("/v1/views", down=True),
        _not_down_data,
    ),
    Case(
        "policy-down-view-query",
        503,
        "policy-unavailable",
        _get("/v1/views/incident_hotspots?group_by=country", down=True),
        _not_down_data,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_a_precise_problem_and_writes_nothing(gateway: Gateway, case: Case) -> None:
    before = gateway.snapshot()
    r = case.send(gateway)
    body = assert_problem(r, case.status, case.type)
    for value in (*ROW_VALUES, *case.absent):
        assert value not in r.text
    if case.check is not None:
        case.check(gateway, r, body)
    assert gateway.snapshot() == before


def test_a_refused_upload_can_be_retried_with_the_same_key(gateway: Gateway) -> None:
    """Nothing was written, so the key is still free: fixing the body and retrying works."""
    key = f"retry-{uuid.uuid4()}"
    bad = gateway.upload(csv_bytes(VALID.drop_columns(["country"])), key=key)
    assert_problem(bad, 422, "schema-mismatch")
    good = gateway.upload(VALID_CSV, key=key)
    assert good.status_code == 201, good.text
    again = gateway.upload(VALID_CSV, key=key)
    assert again.status_code == 200 and again.json()["batch_id"] == good.json()["batch_id"]
