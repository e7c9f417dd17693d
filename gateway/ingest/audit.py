"""Audit events for uploads: identifiers, counts and reason codes — never row values."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gateway.audit.events import BatchUploaded, Outcome
from gateway.errors import BeaconError
from gateway.policy.errors import PolicyDeniedError

if TYPE_CHECKING:
    from gateway.auth.principal import Principal
    from gateway.ingest.models import IngestBatch


def upload_event(
    principal: Principal,
    *,
    dataset: str,
    request_id: str | None,
    size: int | None = None,
    content_type: str | None = None,
    sha256: str | None = None,
) -> BatchUploaded:
    """The event of one upload request, before anything is known about its outcome."""
    return BatchUploaded(
        outcome=Outcome.ERROR,
        actor_org=principal.org,
        actor_subject=principal.subject,
        resource=f"datasets/{dataset}/batches",
        request_id=request_id,
        dataset=dataset,
        bytes=size,
        content_type=content_type,
        body_sha256=sha256,
    )


def finished(
    event: BatchUploaded, batch: IngestBatch, outcome: Outcome, *, recovered: bool = False
) -> BatchUploaded:
    """The event of an upload whose batch record reached ``batch``'s state."""
    return event.model_copy(
        update={
            "outcome": outcome,
            "batch_id": batch.id,
            "contract_version": batch.contract_version,
            "accepted": batch.accepted,
            "rejected": batch.rejected,
            "reasons": {str(k): int(v) for k, v in batch.reasons.items()},
            "delta_version": batch.delta_version,
            "recovered": recovered,
        }
    )


def refused(event: BatchUploaded, error: Exception) -> BatchUploaded:
    """The event of an upload that ended in ``error`` (a policy denial is ``deny``)."""
    update: dict[str, Any] = {
        "outcome": Outcome.DENY if isinstance(error, PolicyDeniedError) else Outcome.ERROR,
        "error": error.type if isinstance(error, BeaconError) else "internal",
        "status": error.status if isinstance(error, BeaconError) else 500,
    }
    batch_id = getattr(error, "extensions", {}).get("batch_id")
    if batch_id:
        update["batch_id"] = batch_id
    return event.model_copy(update=update)
