"""Audit records for uploads: identifiers, counts and reason codes — never row values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import structlog

from gateway.errors import BeaconError

if TYPE_CHECKING:
    from gateway.auth.principal import Principal
    from gateway.ingest.models import IngestBatch
    from gateway.ingest.service import IngestPorts, Upload

log = structlog.get_logger(__name__)


def audit_refused_upload(
    ports: IngestPorts,
    principal: Principal,
    *,
    dataset: str,
    request_id: str | None,
    error: Exception,
    size: int | None = None,
) -> None:
    """Audit an upload refused before its body was fully read (400 key, 413, 415)."""
    _record_upload(
        ports, principal, request_id, {"dataset": dataset, "bytes": size}, "error", None, error
    )


def audit_upload(
    ports: IngestPorts,
    principal: Principal,
    upload: Upload,
    request_id: str | None,
    *,
    outcome: str,
    batch: IngestBatch | None = None,
    error: Exception | None = None,
) -> None:
    detail: dict[str, Any] = {
        "dataset": upload.dataset,
        "bytes": upload.size,
        "content_type": upload.content_type,
        "body_sha256": upload.sha256,
    }
    _record_upload(ports, principal, request_id, detail, outcome, batch, error)


def _record_upload(
    ports: IngestPorts,
    principal: Principal,
    request_id: str | None,
    detail: dict[str, Any],
    outcome: str,
    batch: IngestBatch | None,
    error: Exception | None,
) -> None:
    if batch is not None:
        detail.update(
            batch_id=batch.id,
            contract_version=batch.contract_version,
            accepted=batch.accepted,
            rejected=batch.rejected,
            reasons=batch.reasons,
            delta_version=batch.delta_version,
        )
    if error is not None:
        detail["error"] = error.type if isinstance(error, BeaconError) else "internal"
        detail["status"] = error.status if isinstance(error, BeaconError) else 500
        batch_id = getattr(error, "extensions", {}).get("batch_id")
        if batch_id:
            detail["batch_id"] = batch_id
    try:
        ports.audit.record(
            kind="batch.upload",
            action="upload",
            outcome=outcome,
            actor=principal,
            resource=f"datasets/{detail['dataset']}/batches",
            request_id=request_id,
            detail=detail,
        )
    except Exception as exc:  # the audit failure must not mask the original error
        if error is None:
            raise
        log.error("ingest.audit_failed", error=type(exc).__name__)
