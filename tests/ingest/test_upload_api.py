"""POST /v1/datasets/{ds}/batches over HTTP on the real stack (SQLite and PostgreSQL)."""

from __future__ import annotations

import io

import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq
import pytest
from sqlmodel import Session, select

from gateway.audit.models import AuditEvent
from gateway.ingest.models import IngestBatch
from tests.ingest.conftest import COLUMNS, Stack, incident_rows, to_csv

pytestmark = pytest.mark.integration
PROBLEM = "application/problem+json"


def _records(stack: Stack) -> list[IngestBatch]:
    with Session(stack.engine) as s:
        return list(s.exec(select(IngestBatch)).all())


def _audit(stack: Stack, kind: str) -> list[AuditEvent]:
    return [e for e in stack.audit.list_events(limit=1000) if e.kind == kind]


def _assert_nothing_written(stack: Stack) -> None:
    assert _records(stack) == []
    assert stack.delta_rows() == 0


# -- deny cases first --------------------------------------------------------------------------


def test_without_token_is_401(stack: Stack) -> None:
    r = stack.client.post(
        "/v1/datasets/incident_reports/batches",
        content=to_csv(incident_rows(2)),
        headers={"Content-Type": "text/csv", "Idempotency-Key": "k"},
    )
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    _assert_nothing_written(stack)


def test_role_without_scope_is_403(stack: Stack) -> None:
    r = stack.upload(to_csv(incident_rows(2)), who="analyst_a")
    assert r.status_code == 403
    _assert_nothing_written(stack)


def test_policy_denies_non_contributor_with_reason_code(stack: Stack) -> None:
    r = stack.upload(to_csv(incident_rows(2)), who="bank_c")
    assert r.status_code == 403, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["reasons"] == ["not_a_contributor"]
    _assert_nothing_written(stack)
    assert _audit(stack, "policy.decision") == []  # no second event from a policy wrapper
    (event,) = _audit(stack, "batch.upload")  # one event, the decision's facts inside it
    assert (event.outcome, event.detail["status"]) == ("deny", 403)
    decision = event.detail["decision"]
    assert decision["allow"] is False and decision["reasons"] == ["not_a_contributor"]
    assert decision["backend"] == "embedded" and len(decision["policy_revision"]) == 64


def test_unknown_dataset_is_404(stack: Stack) -> None:
    r = stack.upload(to_csv(incident_rows(2)), dataset="no_such_dataset")
    assert r.status_code == 404
    assert r.json()["type"].endswith("unknown-dataset")
    _assert_nothing_written(stack)


def test_missing_idempotency_key_is_400(stack: Stack) -> None:
    r = stack.upload(to_csv(incident_rows(2)), key=None)
    assert r.status_code == 400
    assert r.json()["type"].endswith("idempotency-key")


@pytest.mark.parametrize("key", ["x" * 201, "bad\tkey", "  "])
def test_invalid_idempotency_key_is_400(stack: Stack, key: str) -> None:
    r = stack.upload(to_csv(incident_rows(2)), key=key)
    assert r.status_code == 400


@pytest.mark.parametrize(
    "ctype", ["application/json", "text/plain", "", "text/csv; charset=latin-1"]
)
def test_wrong_content_type_is_415(stack: Stack, ctype: str) -> None:
    r = stack.upload(to_csv(incident_rows(2)), ctype=ctype)
    assert r.status_code == 415
    assert r.headers["content-type"] == PROBLEM
    _assert_nothing_written(stack)
    event = _audit(stack, "batch.upload")[-1]
    assert (event.outcome, event.detail["status"]) == ("error", 415)


def test_declared_oversized_body_is_413_before_reading(stack: Stack) -> None:
    body = to_csv(incident_rows(2000))
    assert len(body) > stack.settings.ingest.max_body_bytes
    r = stack.upload(body)
    assert r.status_code == 413
    assert r.json()["type"].endswith("payload-too-large")
    _assert_nothing_written(stack)


def test_streamed_oversized_body_is_413(stack: Stack) -> None:
    body = to_csv(incident_rows(2000))

    def _chunks():  # type: ignore[no-untyped-def]  # no Content-Length: chunked transfer
        for i in range(0, len(body), 8192):
            yield body[i : i + 8192]

    r = stack.client.post(
        "/v1/datasets/incident_reports/batches", content=_chunks(), headers=stack.headers("ngo_a")
    )
    assert r.status_code == 413
    _assert_nothing_written(stack)


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (b"", "empty"),
        (b"report_id,country\n", "no data rows"),
        (
            to_csv(incident_rows(3)) + b"a,b,c,d,e,f,g,h,i\n",
            "record 5 (the header is record 1): expected 7 fields, got 9",
        ),
        (b"report_id,report_id\nx,y\n", "duplicate column"),
        (b'report_id,country\n"abc,TH\n', "CSV"),
        (b'narrative,country\n"two\nlines",TH\nx,y,z\n', "record 3 (the header is record 1)"),
    ],
)
def test_malformed_csv_is_400_with_detail(stack: Stack, body: bytes, fragment: str) -> None:
    r = stack.upload(body)
    assert r.status_code == 400, r.text
    assert r.json()["type"].endswith("malformed-upload")
    assert fragment in r.json()["detail"]
    _assert_nothing_written(stack)


@pytest.mark.parametrize(
    "ctype", ["application/vnd.apache.parquet", "application/vnd.apache.arrow.stream"]
)
def test_garbage_binary_is_400(stack: Stack, ctype: str) -> None:
    r = stack.upload(b"this is not a columnar file at all", ctype=ctype)
    assert r.status_code == 400
    assert "not a valid" in r.json()["detail"]


def test_missing_required_column_is_422(stack: Stack) -> None:
    cols = [c for c in COLUMNS if c != "victim_count"]
    rows = [{k: v for k, v in r.items() if k in cols} for r in incident_rows(3)]
    r = stack.upload(to_csv(rows, cols))
    assert r.status_code == 422, r.text
    assert "victim_count" in r.json()["missing_columns"]
    _assert_nothing_written(stack)


def test_extra_column_is_422(stack: Stack) -> None:
    rows = [{**r, "victim_name": "secret"} for r in incident_rows(3)]
    r = stack.upload(to_csv(rows))
    assert r.status_code == 422
    assert r.json()["unexpected_columns"] == ["victim_name"]
    _assert_nothing_written(stack)


def test_incompatible_typed_column_is_422(stack: Stack) -> None:
    table = _typed(incident_rows(3)).set_column(
        COLUMNS.index("received_at"), "received_at", pa.array([True, False, True])
    )
    r = stack.upload(_parquet(table), ctype="application/vnd.apache.parquet")
    assert r.status_code == 422, r.text
    _assert_nothing_written(stack)


# -- happy paths -------------------------------------------------------------------------------


def test_csv_upload_commits_once(stack: Stack) -> None:
    r = stack.upload(to_csv(incident_rows(5)))
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "committed"
    assert (body["accepted"], body["rejected"], body["reasons"]) == (5, 0, {})
    assert body["dataset"] == "incident_reports"
    assert body["contract_version"] == "1.0.0"
    assert body["links"]["self"] == f"/v1/batches/{body['batch_id']}"
    assert stack.delta_rows() == 5
    assert stack.store.has_batch("incident_reports", body["batch_id"])
    (upload,) = _audit(stack, "batch.upload")  # exactly one event for the request
    assert upload.outcome == "accepted"
    assert upload.detail["decision"]["allow"] is True and not upload.detail["recovered"]
    assert upload.detail["accepted"] == 5 and upload.detail["batch_id"] == body["batch_id"]
    assert "rep-00000000" not in str(upload.detail)


def _typed(rows: list[dict[str, str]]) -> pa.Table:
    import datetime as dt

    return pa.table(
        {
            "report_id": [r["report_id"] for r in rows],
            "received_at": pa.array(
                [dt.datetime(2025, 6, 1, tzinfo=dt.UTC)] * len(rows), pa.timestamp("us", tz="UTC")
            ),
            "country": [r["country"] for r in rows],
            "exploitation_type": [r["exploitation_type"] for r in rows],
            "victim_count": pa.array([int(r["victim_count"]) for r in rows], pa.int64()),
            "source_type": [r["source_type"] for r in rows],
            "confidence": pa.array([3] * len(rows), pa.int32()),
        }
    )


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def _arrow(table: pa.Table, *, stream: bool) -> bytes:
    sink = io.BytesIO()
    opener = ipc.new_stream if stream else ipc.new_file
    with opener(sink, table.schema) as w:
        w.write_table(table)
    return sink.getvalue()


@pytest.mark.parametrize(
    "ctype",
    [
        "application/vnd.apache.parquet",
        "application/x-parquet",
        "application/vnd.apache.arrow.stream",
        "application/vnd.apache.arrow.file",
    ],
)
def test_typed_formats_commit(stack: Stack, ctype: str) -> None:
    table = _typed(incident_rows(4))
    body = _parquet(table) if "parquet" in ctype else _arrow(table, stream="stream" in ctype)
    r = stack.upload(body, ctype=ctype)
    assert r.status_code == 201, r.text
    assert r.json()["accepted"] == 4
    assert stack.delta_rows() == 4


def test_invalid_rows_are_quarantined_with_reasons(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = incident_rows(6)
    rows[1]["victim_count"] = "many"  # wrong type
    rows[3]["exploitation_type"] = "tourism"  # not allowed
    rows[4]["confidence"] = "9"  # above maximum
    r = stack.upload(to_csv(rows))
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (3, 3)
    assert body["reasons"] == {
        "victim_count:type": 1,
        "exploitation_type:allowed": 1,
        "confidence:maximum": 1,
    }
    assert stack.delta_rows() == 3
    report = stack.client.get(body["links"]["rejections"], headers=stack.headers("ngo_a"))
    assert report.status_code == 200
    got = report.json()
    assert got["rejected"] == 3 and not got["truncated"]
    by_row = {row["row_number"]: row for row in got["rows"]}
    assert sorted(by_row) == [1, 3, 4]
    assert by_row[1]["values"]["victim_count"] == "many"
    assert by_row[1]["reasons"][0]["rule"] == "type"
    assert by_row[3]["reasons"][0] == {
        "column": "exploitation_type",
        "rule": "allowed",
        "message": by_row[3]["reasons"][0]["message"],
    }
    as_csv = stack.client.get(
        body["links"]["rejections"] + "?format=csv", headers=stack.headers("ngo_a")
    )
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    lines = as_csv.text.strip().splitlines()
    assert lines[0].startswith('"row_number","reasons"') and len(lines) == 4
    assert _audit(stack, "batch.upload")[-1].detail["rejected"] == 3
    assert "many" not in str(_audit(stack, "batch.upload")[-1].detail)
    logs = capsys.readouterr()
    assert "tourism" not in logs.out + logs.err
    assert "ingest.batch" in logs.out + logs.err


def test_all_rows_rejected_commits_nothing_to_delta(stack: Stack) -> None:
    rows = incident_rows(2)
    for row in rows:
        row["country"] = "XX"
    r = stack.upload(to_csv(rows))
    assert r.status_code == 201
    assert (r.json()["accepted"], r.json()["rejected"]) == (0, 2)
    assert stack.store.dataset("incident_reports") is None
    assert _audit(stack, "batch.upload")[-1].outcome == "rejected"


# -- idempotency -------------------------------------------------------------------------------


def test_replay_returns_same_result_and_writes_nothing(stack: Stack) -> None:
    body = to_csv(incident_rows(5))
    first = stack.upload(body, key="same")
    second = stack.upload(body, key="same")
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.json()["batch_id"] == first.json()["batch_id"]
    assert stack.delta_rows() == 5
    assert stack.store.version("incident_reports") == 0
    assert len(_records(stack)) == 1
    assert _audit(stack, "batch.upload")[-1].outcome == "replayed"


def test_same_key_different_body_is_409(stack: Stack) -> None:
    assert stack.upload(to_csv(incident_rows(5)), key="k").status_code == 201
    r = stack.upload(to_csv(incident_rows(6)), key="k")
    assert r.status_code == 409
    assert r.json()["type"].endswith("idempotency-conflict")
    assert stack.delta_rows() == 5


def test_same_key_in_another_org_is_independent(stack: Stack) -> None:
    # Other reports: the same ones would be dataset-wide duplicates (tests/ingest/test_dedupe.py).
    assert stack.upload(to_csv(incident_rows(3)), key="k", who="ngo_a").status_code == 201
    assert stack.upload(to_csv(incident_rows(3, start=3)), key="k", who="ngo_b").status_code == 201
    assert stack.delta_rows() == 6


def test_refused_request_leaves_key_free_for_a_fixed_retry(stack: Stack) -> None:
    rows = [{**r, "victim_name": "x"} for r in incident_rows(3)]
    assert stack.upload(to_csv(rows), key="fixme").status_code == 422
    assert stack.upload(to_csv(incident_rows(3)), key="fixme").status_code == 201


# -- reading batches ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["ngo_b", "bank_c"])
def test_another_orgs_batch_is_404(stack: Stack, who: str) -> None:
    rows = incident_rows(3)
    rows[0]["country"] = "XX"
    batch_id = stack.upload(to_csv(rows)).json()["batch_id"]
    for path in (f"/v1/batches/{batch_id}", f"/v1/batches/{batch_id}/rejections"):
        r = stack.client.get(path, headers=stack.headers(who))
        assert r.status_code == 404
        missing = stack.client.get(
            path.replace(batch_id, "00000000-0000-0000-0000-000000000000"),
            headers=stack.headers(who),
        )
        assert r.json()["type"] == missing.json()["type"]
        assert r.json()["title"] == missing.json()["title"]


def test_owner_reads_batch(stack: Stack) -> None:
    created = stack.upload(to_csv(incident_rows(3))).json()
    r = stack.client.get(created["links"]["self"], headers=stack.headers("ngo_a"))
    assert r.status_code == 200
    assert r.json()["batch_id"] == created["batch_id"]
    assert r.json()["accepted"] == 3
    report = stack.client.get(created["links"]["rejections"], headers=stack.headers("ngo_a"))
    assert report.json()["rows"] == []


def test_reading_a_batch_needs_the_scope(stack: Stack) -> None:
    batch_id = stack.upload(to_csv(incident_rows(3))).json()["batch_id"]
    r = stack.client.get(f"/v1/batches/{batch_id}", headers=stack.headers("analyst_a"))
    assert r.status_code == 403


def test_datasets_and_contract(stack: Stack) -> None:
    r = stack.client.get("/v1/datasets", headers=stack.headers("analyst_a"))
    assert r.status_code == 200
    names = {d["dataset"]: d["contract_version"] for d in r.json()["datasets"]}
    assert names["incident_reports"] == "1.0.0"
    c = stack.client.get("/v1/datasets/incident_reports/contract", headers=stack.headers("bank_c"))
    assert c.status_code == 200
    assert c.json()["dataset"] == "incident_reports"
    assert (
        stack.client.get("/v1/datasets/nope/contract", headers=stack.headers("bank_c")).status_code
        == 404
    )
    assert stack.client.get("/v1/datasets").status_code == 401
