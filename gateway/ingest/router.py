"""HTTP surface of ingest: upload a batch, read a batch and its rejections, list datasets.

Defends against oversized uploads (Content-Length checked before reading, the stream counted
while reading), against blocking the event loop (parse/validate/write run in the threadpool) and
against BOLA (a batch of another org is a 404, indistinguishable from a missing one).
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
from typing import IO, Annotated, Any, Literal

import pyarrow as pa
import pyarrow.csv as pacsv
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from gateway.apidocs.openapi import problem_responses
from gateway.contracts.model import Contract
from gateway.deps import (
    BatchReader,
    PrincipalDep,
    RequestIdDep,
    SessionDep,
    SettingsDep,
    Uploader,
)
from gateway.errors import BadRequestError, BeaconError
from gateway.ingest import parse
from gateway.ingest.deps import IngestServiceDep
from gateway.ingest.errors import IdempotencyKeyError, PayloadTooLargeError
from gateway.ingest.models import IngestBatch
from gateway.ingest.parse import MEDIA_TYPES
from gateway.ingest.schemas import BatchLinks, BatchRead, DatasetList, DatasetRead
from gateway.ingest.upload import Upload

router = APIRouter(prefix="/v1", tags=["ingest"])
_SPOOL_IN_MEMORY = 16 << 20


_UPLOAD_BODY = {
    "required": True,
    "description": "The batch: CSV (UTF-8, header row), Parquet or Arrow IPC (stream or file)",
    "content": {kind: {"schema": {"type": "string", "format": "binary"}} for kind in MEDIA_TYPES},
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": True,
    "description": "Same key and body: the earlier result is replayed (200)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200},
}


@router.post(
    "/datasets/{dataset}/batches",
    status_code=201,
    response_model=BatchRead,
    responses={
        200: {"description": "Replay of an earlier upload with the same key and body"},
        **problem_responses(400, 409, 413, 415),
    },
    openapi_extra={"requestBody": _UPLOAD_BODY, "parameters": [_IDEMPOTENCY_KEY]},
)
async def upload_batch(
    dataset: str,
    request: Request,
    principal: Uploader,
    session: SessionDep,
    ingest: IngestServiceDep,
    settings: SettingsDep,
    request_id: RequestIdDep,
) -> JSONResponse:
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as body:
        try:
            upload = await _receive(request, dataset, body, settings.ingest.max_body_bytes)
        except BeaconError as exc:
            await run_in_threadpool(
                ingest.refuse,
                session,
                principal=principal,
                dataset=dataset[:64],
                request_id=request_id,
                error=exc,
            )
            raise
        result = await run_in_threadpool(
            ingest.ingest, session, principal=principal, upload=upload, request_id=request_id
        )
    payload = _batch_read(result.batch).model_dump(mode="json")
    if result.replayed:
        return JSONResponse(payload, status_code=200, headers={"Idempotent-Replayed": "true"})
    return JSONResponse(payload, status_code=201, headers={"Location": payload["links"]["self"]})


async def _receive(request: Request, dataset: str, body: IO[bytes], limit: int) -> Upload:
    """Check the headers, then spool the body while hashing and counting it."""
    key = _idempotency_key(request.headers.get("idempotency-key"))
    kind = parse.media_type(request.headers.get("content-type"))
    _check_declared_length(request.headers.get("content-length"), limit)
    digest, size = hashlib.sha256(), 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLargeError(f"the body exceeds the {limit}-byte limit", limit=limit)
        digest.update(chunk)
        body.write(chunk)
    return Upload(
        dataset=dataset,
        idempotency_key=key,
        content_type=kind,
        body=body,
        sha256=digest.hexdigest(),
        size=size,
    )


@router.get("/batches/{batch_id}", response_model=BatchRead)
def read_batch(
    batch_id: str, principal: BatchReader, session: SessionDep, ingest: IngestServiceDep
) -> BatchRead:
    return _batch_read(ingest.get_batch(session, principal=principal, batch_id=batch_id))


@router.get(
    "/batches/{batch_id}/rejections",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
def read_rejections(
    batch_id: str,
    principal: BatchReader,
    session: SessionDep,
    ingest: IngestServiceDep,
    settings: SettingsDep,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Rejected rows: 0-based ``row_number`` in the upload, reasons, and the values as sent."""
    batch = ingest.get_batch(session, principal=principal, batch_id=batch_id)
    table = ingest.rejected_rows(batch)
    limit = settings.ingest.max_rejected_rows_reported
    total = 0 if table is None else table.num_rows
    shown = None if table is None else table.slice(0, limit)
    headers = {"X-Total-Rejected": str(total)}
    if format == "csv":
        return Response(_rejections_csv(shown), media_type="text/csv", headers=headers)
    body = {
        "batch_id": batch.id,
        "dataset": batch.dataset,
        "rejected": total,
        "truncated": total > limit,
        "rows": _rejections_json(shown),
    }
    return Response(json.dumps(body, default=str), media_type="application/json", headers=headers)


@router.get("/datasets", response_model=DatasetList)
def list_datasets(principal: PrincipalDep, ingest: IngestServiceDep) -> DatasetList:
    return DatasetList(datasets=[_dataset_read(c) for c in ingest.datasets()])


@router.get("/datasets/{dataset}/contract")
def read_contract(
    dataset: str, principal: PrincipalDep, ingest: IngestServiceDep
) -> dict[str, Any]:
    return ingest.contract(dataset).to_dict()


def _idempotency_key(raw: str | None) -> str:
    if raw is None or not raw.strip():
        raise IdempotencyKeyError("the Idempotency-Key header is required")
    if len(raw) > 200 or not raw.isprintable() or not raw.isascii():
        raise IdempotencyKeyError("Idempotency-Key must be 1-200 printable ASCII characters")
    return raw


def _check_declared_length(raw: str | None, limit: int) -> None:
    if raw is None:
        return
    if not raw.strip().isdigit():
        raise BadRequestError("invalid Content-Length header")
    if int(raw) > limit:
        raise PayloadTooLargeError(f"the body exceeds the {limit}-byte limit", limit=limit)


def _batch_read(batch: IngestBatch) -> BatchRead:
    base = f"/v1/batches/{batch.id}"
    return BatchRead(
        batch_id=batch.id,
        dataset=batch.dataset,
        contract_version=batch.contract_version,
        status=batch.status,
        accepted=batch.accepted,
        rejected=batch.rejected,
        reasons={str(k): int(v) for k, v in batch.reasons.items()},
        delta_version=batch.delta_version,
        created_at=batch.created_at,
        committed_at=batch.committed_at,
        links=BatchLinks(self=base, rejections=f"{base}/rejections"),
    )


def _dataset_read(contract: Contract) -> DatasetRead:
    base = f"/v1/datasets/{contract.dataset}"
    return DatasetRead(
        dataset=contract.dataset,
        title=contract.title,
        contract_version=contract.version,
        links={"contract": f"{base}/contract", "batches": f"{base}/batches"},
    )


def _rejections_json(table: pa.Table | None) -> list[dict[str, Any]]:
    if table is None:
        return []
    out = []
    for row in table.to_pylist():
        number, reasons = row.pop("row_number"), row.pop("reasons")
        out.append({"row_number": number, "reasons": reasons, "values": row})
    return out


def _rejections_csv(table: pa.Table | None) -> bytes:
    if table is None:
        return b"row_number,reasons\n"
    reasons = [
        "; ".join(f"{r['column']}:{r['rule']}: {r['message']}" for r in rs)
        for rs in table.column("reasons").to_pylist()
    ]
    flat = table.drop_columns(["reasons"]).add_column(1, "reasons", pa.array(reasons, pa.string()))
    sink = io.BytesIO()
    pacsv.write_csv(flat, sink)
    return sink.getvalue()
