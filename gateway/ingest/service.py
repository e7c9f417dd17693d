"""The ingest pipeline: policy → idempotency → parse → validate → quarantine → one Delta commit.

Defends against doubled or half-written uploads and against partners reading each other's
batches. Ordering is what makes it safe:

1. Everything that can refuse the request (unknown dataset, policy, malformed body, schema
   mismatch) runs *before* a batch record exists, so a refused request leaves nothing behind
   and the partner may retry with the same Idempotency-Key after fixing it.
2. The record is inserted ('processing') with UNIQUE(org, idempotency_key): a concurrent
   duplicate loses the insert and gets 409 "in progress" (or the finished result).
3. Rejected rows are written to the org's quarantine, then the valid rows in ONE Delta commit
   tagged with the batch id. That commit is the atomic point: before it nothing is visible.
4. Only then is the record marked 'committed'.

Entity keys are unique across the whole dataset (``dedupe``): rows whose key is already
committed are quarantined as ``<column>:duplicate``. The check runs once before the record is
written (its counts) and again right before the Delta commit while the metadata database holds
a per-dataset lock (``repository.lock_commits``) that lasts until the record is marked
committed, so of two concurrent batches with the same new key at most one commits it, on any
replica sharing the database.

Recovery: a record left 'processing' or 'failed' (crash, store error) is finished on the next
request with the same key and body if the store's commit log has the batch; otherwise a 'failed'
record, or a 'processing' one older than ``stale_after``, is re-run under the same batch id. A
younger 'processing' record answers 409 with Retry-After.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import IO, TYPE_CHECKING

import structlog
from sqlmodel import Session

from gateway.contracts.validate import get_validator, validate_batch
from gateway.ingest import parse
from gateway.ingest import repository as repo
from gateway.ingest.audit import audit_upload
from gateway.ingest.dedupe import quarantine_duplicates, unique_columns
from gateway.ingest.errors import (
    BatchInProgressError,
    BatchNotFoundError,
    IdempotencyConflictError,
)
from gateway.ingest.models import IngestBatch
from gateway.policy.errors import PolicyDeniedError
from gateway.policy.port import INGEST_DECISION

if TYPE_CHECKING:
    import pyarrow as pa

    from gateway.audit.service import AuditLog
    from gateway.auth.principal import Principal
    from gateway.contracts.model import Contract
    from gateway.contracts.outcome import ValidationOutcome
    from gateway.contracts.registry import ContractRegistry
    from gateway.policy.port import PolicyEngine
    from gateway.store.delta import DeltaStore

log = structlog.get_logger(__name__)
DEFAULT_STALE_AFTER = timedelta(minutes=15)
# Batch ids are UUID strings; anything else (NUL, which PostgreSQL refuses) is not looked up.
_BATCH_ID_RE = re.compile(r"[A-Za-z0-9-]{1,36}")


@dataclass(frozen=True)
class IngestPorts:
    """What the pipeline needs from the process-wide context."""

    store: DeltaStore
    contracts: ContractRegistry
    policy: PolicyEngine
    audit: AuditLog
    validator: str = "gx"
    stale_after: timedelta = DEFAULT_STALE_AFTER


@dataclass(frozen=True)
class Upload:
    """A spooled, hashed request body and what the headers said about it."""

    dataset: str
    idempotency_key: str
    content_type: str
    body: IO[bytes]
    sha256: str
    size: int


@dataclass(frozen=True)
class IngestResult:
    batch: IngestBatch
    replayed: bool


def ingest_batch(
    session: Session,
    ports: IngestPorts,
    *,
    principal: Principal,
    upload: Upload,
    request_id: str | None = None,
) -> IngestResult:
    """Run the whole pipeline; audit the outcome (``batch.upload``) whatever happens."""
    started = time.perf_counter()
    try:
        result = _ingest(session, ports, principal, upload)
    except Exception as exc:
        audit_upload(ports, principal, upload, request_id, outcome="error", error=exc)
        raise
    batch = result.batch
    outcome = "replayed" if result.replayed else ("accepted" if batch.accepted else "rejected")
    audit_upload(ports, principal, upload, request_id, outcome=outcome, batch=batch)
    log.info(
        "ingest.batch",
        outcome=outcome,
        dataset=batch.dataset,
        batch_id=batch.id,
        accepted=batch.accepted,
        rejected=batch.rejected,
        bytes=upload.size,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return result


def _ingest(
    session: Session, ports: IngestPorts, principal: Principal, upload: Upload
) -> IngestResult:
    contract = ports.contracts.get(upload.dataset)
    authorise_upload(ports, principal, upload.dataset)
    existing = repo.get_by_key(session, principal.org, upload.idempotency_key)
    if existing is not None:
        finished = _resolve_existing(session, ports, existing, upload)
        if finished is not None:
            return finished
    outcome = validate_batch(
        contract,
        parse.read_upload(upload.body, upload.content_type),
        validator=get_validator(ports.validator),
    )
    outcome = _dedupe(ports.store, contract, outcome, existing.id if existing else None)
    counts = _counts(outcome)
    if existing is not None:
        if not repo.claim(session, existing, counts=counts):
            raise BatchInProgressError("another request is processing this batch; retry later")
        batch = existing
    else:
        batch = _new_record(principal, upload, contract, counts)
        if not repo.insert(session, batch):
            raced = repo.get_by_key(session, principal.org, upload.idempotency_key)
            done = _resolve_existing(session, ports, raced, upload) if raced else None
            if done is None:
                raise BatchInProgressError("another request is processing this batch; retry later")
            return done
    return IngestResult(_write(session, ports.store, contract, batch, outcome), replayed=False)


def authorise_upload(ports: IngestPorts, principal: Principal, dataset: str) -> None:
    """Ask the policy engine; a deny is 403 with its reason codes.

    The decision itself is audited (kind ``policy.decision``) by the ``AuditedPolicyEngine``
    the app wraps around every backend, so it is not recorded a second time here.
    """
    decision = ports.policy.decide(
        INGEST_DECISION,
        {
            "subject": principal.policy_subject(),
            "action": "batch.write",
            "resource": {"dataset": dataset, "view": None, "dims": [], "filters": {}},
            "context": {},
            "now": datetime.now(UTC).isoformat(),
        },
    )
    if not decision.allow:
        raise PolicyDeniedError(decision.reasons)


def _resolve_existing(
    session: Session, ports: IngestPorts, batch: IngestBatch, upload: Upload
) -> IngestResult | None:
    """Replay, conflict, in-progress, recover — or ``None``: the record may be re-run."""
    if batch.body_sha256 != upload.sha256 or batch.dataset != upload.dataset:
        raise IdempotencyConflictError(
            "this Idempotency-Key was already used for a different upload",
            batch_id=batch.id,
        )
    if batch.status == "committed":
        return IngestResult(batch, replayed=True)
    version = ports.store.batch_version(batch.dataset, batch.id)
    if version is not None:  # committed to the store, but the record was never finished
        log.warning("ingest.recovered", batch_id=batch.id, delta_version=version)
        return IngestResult(repo.mark_committed(session, batch, delta_version=version), True)
    if batch.status == "processing" and batch.started_at > datetime.now(UTC) - ports.stale_after:
        raise BatchInProgressError(
            "a request with this Idempotency-Key is still being processed; retry later",
            batch_id=batch.id,
        )
    return None


def _new_record(
    principal: Principal,
    upload: Upload,
    contract: Contract,
    counts: tuple[int, int, dict[str, int]],
) -> IngestBatch:
    accepted, rejected, reasons = counts
    return IngestBatch(
        org=principal.org,
        dataset=upload.dataset,
        contract_version=contract.version,
        idempotency_key=upload.idempotency_key,
        body_sha256=upload.sha256,
        content_type=upload.content_type,
        body_bytes=upload.size,
        accepted=accepted,
        rejected=rejected,
        reasons=reasons,
        uploaded_by=principal.subject,
    )


def _dedupe(
    store: DeltaStore, contract: Contract, outcome: ValidationOutcome, batch_id: str | None
) -> ValidationOutcome:
    """Quarantine valid rows whose unique-column value another batch already committed."""
    committed = {
        column: store.committed_values(
            contract.dataset, column, outcome.valid.column(column), exclude_batch=batch_id
        )
        for column in unique_columns(contract)
    }
    return quarantine_duplicates(contract, outcome, committed)


def _counts(outcome: ValidationOutcome) -> tuple[int, int, dict[str, int]]:
    return outcome.accepted_count, outcome.rejected_count, dict(outcome.reason_counts)


def _write(
    session: Session,
    store: DeltaStore,
    contract: Contract,
    batch: IngestBatch,
    outcome: ValidationOutcome,
) -> IngestBatch:
    """Lock, re-check keys, quarantine, the single atomic Delta commit, the record.

    The lock is held until ``mark_committed`` commits (or ``mark_failed`` rolls back), so no
    other batch of this dataset can commit between our key check and our Delta commit.
    Failure → 'failed'.
    """
    version: int | None = None
    try:
        repo.lock_commits(session, batch.dataset)
        outcome = _dedupe(store, contract, outcome, batch.id)  # keys committed meanwhile
        batch.accepted, batch.rejected, batch.reasons = _counts(outcome)
        if outcome.rejected_count:
            store.write_quarantine(batch.org, batch.id, outcome.rejected)
        if outcome.accepted_count:
            version = store.append(
                batch.dataset,
                outcome.valid,
                batch_id=batch.id,
                org=batch.org,
                metadata={
                    "beacon.org": batch.org,
                    "beacon.contract_version": batch.contract_version,
                },
            )
    except Exception:
        repo.mark_failed(session, batch)
        raise
    return repo.mark_committed(session, batch, delta_version=version)


def get_batch_for(session: Session, *, principal: Principal, batch_id: str) -> IngestBatch:
    """The batch if ``principal``'s org uploaded it; 404 otherwise (existence is not revealed)."""
    batch = repo.get(session, batch_id) if _BATCH_ID_RE.fullmatch(batch_id) else None
    if batch is None or batch.org != principal.org:
        raise BatchNotFoundError(f"no batch {batch_id!r}")
    return batch


def rejected_rows(store: DeltaStore, batch: IngestBatch) -> pa.Table | None:
    """The quarantined rows of a batch (``None`` when it had none)."""
    if batch.rejected == 0:
        return None
    try:
        return store.read_quarantine(batch.org, batch.id)
    except FileNotFoundError:
        return None
