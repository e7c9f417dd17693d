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
4. Only then is the record marked 'committed', and its ``batch.upload`` audit event is appended
   in that same database transaction: the record's final state and its event commit together.

Recovery: a record left 'processing' or 'failed' (crash, store error) is finished on the next
request with the same key and body if the store's commit log has the batch; otherwise a 'failed'
record, or a 'processing' one older than ``stale_after``, is re-run under the same batch id. A
younger 'processing' record answers 409 with a Retry-After of the seconds until it is stale.
A takeover never doubles rows: under the commit lock the Delta log is checked for the batch
first. At start-up ``reconcile`` does the same for every unfinished record (``recovery``).
A process that dies between the Delta commit (3) and that transaction (4) leaves the rows in
Delta, the record not committed and no 'accepted' event; the retry (or the next start-up) reads
the Delta log and writes both (the event says ``recovered: true``). An upload refused before
step 2 has no state: its event is its own transaction. A store failure marks the record
'failed' in the transaction of its 'error' event.

Entity keys are unique across the whole dataset (``dedupe``): rows whose key is already
committed are quarantined as ``<column>:duplicate``. The check runs once before the record is
written (its counts) and again right before the Delta commit while the metadata database holds
a per-dataset lock (``repository.lock_commits``) that lasts until the record is marked
committed, so of two concurrent batches with the same new key at most one commits it, on any
replica sharing the database.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlmodel import Session

from gateway.audit.events import AuditRecord, BatchUploaded, DecisionFacts, Outcome
from gateway.contracts.registry import ContractRegistry
from gateway.contracts.validate import get_validator, validate_batch
from gateway.ingest import parse
from gateway.ingest import repository as repo
from gateway.ingest.audit import finished, refused, upload_event
from gateway.ingest.dedupe import committed_duplicates
from gateway.ingest.errors import (
    BatchInProgressError,
    BatchNotFoundError,
    IdempotencyConflictError,
)
from gateway.ingest.models import IngestBatch
from gateway.ingest.recovery import Reconciliation, reconcile_unfinished
from gateway.ingest.upload import IngestResult, Upload, new_record
from gateway.policy.errors import PolicyDeniedError
from gateway.policy.port import INGEST_DECISION, PolicyInput, Resource

if TYPE_CHECKING:
    import pyarrow as pa
    from sqlalchemy.engine import Engine

    from gateway.audit.service import AuditLog
    from gateway.auth.principal import Principal
    from gateway.contracts.model import Contract
    from gateway.contracts.outcome import ValidationOutcome
    from gateway.policy.port import PolicyEngine
    from gateway.settings import Settings
    from gateway.store.delta import DeltaStore

log = structlog.get_logger(__name__)
DEFAULT_STALE_AFTER = timedelta(seconds=120)
# Batch ids are UUID strings; anything else (NUL, which PostgreSQL refuses) is not looked up.
_BATCH_ID_RE = re.compile(r"[A-Za-z0-9-]{1,36}")


@dataclass
class _Attempt:
    """One request's audit event, completed as the pipeline learns more."""

    event: BatchUploaded
    outcome: Outcome | None = field(default=None)


def build_ingest_service(
    settings: Settings,
    *,
    contracts: ContractRegistry,
    store: DeltaStore,
    policy: PolicyEngine,
    audit: AuditLog,
) -> IngestService:
    """Warm the validator for every contract once (app lifespan and scripts)."""
    validator = get_validator(settings.ingest.validator)
    for dataset in contracts.datasets():
        validator.prepare(contracts.get(dataset))
    return IngestService(
        store=store,
        contracts=contracts,
        policy=policy,
        audit=audit,
        validator=settings.ingest.validator,
        stale_after=timedelta(seconds=settings.ingest.stale_after_seconds),
    )


class IngestService:
    """The upload pipeline and batch reads; one instance per process, a session per call."""

    def __init__(
        self,
        *,
        store: DeltaStore,
        contracts: ContractRegistry,
        policy: PolicyEngine,
        audit: AuditLog,
        validator: str = "gx",
        stale_after: timedelta = DEFAULT_STALE_AFTER,
    ) -> None:
        self.store, self.contracts, self.policy, self.audit = store, contracts, policy, audit
        self.validator = validator
        self.stale_after = stale_after

    def ingest(
        self,
        session: Session,
        *,
        principal: Principal,
        upload: Upload,
        request_id: str | None = None,
    ) -> IngestResult:
        """Run the whole pipeline; exactly one ``batch.upload`` event whatever happens."""
        started = time.perf_counter()
        attempt = _Attempt(
            upload_event(
                principal,
                dataset=upload.dataset,
                request_id=request_id,
                size=upload.size,
                content_type=upload.content_type,
                sha256=upload.sha256,
            )
        )
        try:
            result = self._ingest(session, principal, upload, attempt)
        except Exception as exc:
            session.rollback()
            if attempt.outcome is None:  # not audited with a final state: audit the refusal
                self._audit_refusal(session, refused(attempt.event, exc), error=exc)
            raise
        batch = result.batch
        log.info(
            "ingest.batch",
            outcome=str(attempt.outcome),
            dataset=batch.dataset,
            batch_id=batch.id,
            accepted=batch.accepted,
            rejected=batch.rejected,
            bytes=upload.size,
            duration_ms=round((time.perf_counter() - started) * 1000, 1),
        )
        return result

    def refuse(
        self,
        session: Session,
        *,
        principal: Principal,
        dataset: str,
        request_id: str | None,
        error: Exception,
        size: int | None = None,
    ) -> None:
        """Audit an upload refused before its body was fully read (400 key, 413, 415)."""
        event = upload_event(principal, dataset=dataset, request_id=request_id, size=size)
        self._audit_refusal(session, refused(event, error), error=error)

    def get_batch(self, session: Session, *, principal: Principal, batch_id: str) -> IngestBatch:
        """The batch if ``principal``'s org uploaded it; 404 otherwise (existence not revealed)."""
        batch = repo.get(session, batch_id) if _BATCH_ID_RE.fullmatch(batch_id) else None
        if batch is None or batch.org != principal.org:
            raise BatchNotFoundError(f"no batch {batch_id!r}")
        return batch

    def rejected_rows(self, batch: IngestBatch) -> pa.Table | None:
        """The quarantined rows of a batch (``None`` when it had none)."""
        if batch.rejected == 0:
            return None
        try:
            return self.store.read_quarantine(batch.org, batch.id)
        except FileNotFoundError:
            return None

    def datasets(self) -> list[Contract]:
        return [self.contracts.get(name) for name in self.contracts.datasets()]

    def contract(self, dataset: str) -> Contract:
        return self.contracts.get(dataset)

    # --- the pipeline -------------------------------------------------------------------

    def _ingest(
        self, session: Session, principal: Principal, upload: Upload, attempt: _Attempt
    ) -> IngestResult:
        contract = self.contracts.get(upload.dataset)
        self._authorise(principal, upload.dataset, attempt)
        existing = repo.get_by_key(session, principal.org, upload.idempotency_key)
        if existing is not None:
            done = self._resolve_existing(session, existing, upload, attempt)
            if done is not None:
                return done
        outcome = validate_batch(
            contract,
            parse.read_upload(upload.body, upload.content_type),
            validator=get_validator(self.validator),
        )
        outcome = committed_duplicates(
            self.store, contract, outcome, batch_id=existing.id if existing else None
        )
        counts = _counts(outcome)
        if existing is not None:
            if not repo.claim(session, existing, counts=counts):
                raise self._in_progress(existing, "another request is processing this batch")
            batch = existing
        else:
            batch = new_record(principal, upload, contract, counts)
            if not repo.insert(session, batch):
                raced = repo.get_by_key(session, principal.org, upload.idempotency_key)
                done = self._resolve_existing(session, raced, upload, attempt) if raced else None
                if done is None:
                    raise self._in_progress(raced or batch, "another request is processing it")
                return done
        return IngestResult(self._write(session, contract, batch, outcome, attempt), replayed=False)

    def _authorise(self, principal: Principal, dataset: str, attempt: _Attempt) -> None:
        """Ask the policy engine; a deny is 403 with its reason codes (facts go in the event)."""
        decision = self.policy.decide(
            INGEST_DECISION,
            PolicyInput(
                subject=principal.policy_subject(),
                action="batch.write",
                resource=Resource(dataset=dataset),
            ),
        )
        facts = DecisionFacts.of(decision, backend=self.policy.name)
        attempt.event = attempt.event.model_copy(update={"decision": facts})
        if not decision.allow:
            raise PolicyDeniedError(decision.reasons)

    def _resolve_existing(
        self, session: Session, batch: IngestBatch, upload: Upload, attempt: _Attempt
    ) -> IngestResult | None:
        """Replay, conflict, in-progress, recover — or ``None``: the record may be re-run."""
        if batch.body_sha256 != upload.sha256 or batch.dataset != upload.dataset:
            raise IdempotencyConflictError(
                "this Idempotency-Key was already used for a different upload",
                batch_id=batch.id,
            )
        if batch.status == "committed":
            self._commit(session, finished(attempt.event, batch, Outcome.REPLAYED), attempt)
            return IngestResult(batch, replayed=True)
        version = self.store.batch_version(batch.dataset, batch.id)
        if version is not None:  # committed to the store, but the record was never finished
            return IngestResult(
                self._finish_landed(session, batch, version, attempt), replayed=True
            )
        if batch.status == "processing" and batch.started_at > datetime.now(UTC) - self.stale_after:
            raise self._in_progress(batch, "a request with this Idempotency-Key is in progress")
        return None

    def _in_progress(self, batch: IngestBatch, why: str) -> BatchInProgressError:
        """409 whose Retry-After is the seconds until ``batch`` counts as stale (>= 1)."""
        stale_at = batch.started_at + self.stale_after
        left = math.ceil((stale_at - datetime.now(UTC)).total_seconds())
        return BatchInProgressError(
            f"{why}; retry later", retry_after=max(1, left), batch_id=batch.id
        )

    def reconcile(self, engine: Engine) -> Reconciliation:
        """At start-up: finish or fail unfinished records against the Delta log (``recovery``)."""
        return reconcile_unfinished(
            engine, store=self.store, audit=self.audit, stale_after=self.stale_after
        )

    def _write(
        self,
        session: Session,
        contract: Contract,
        batch: IngestBatch,
        outcome: ValidationOutcome,
        attempt: _Attempt,
    ) -> IngestBatch:
        """Lock, re-check keys, quarantine, the single atomic Delta commit, record + event.

        The per-dataset lock is held until the record and its event commit (or the failure is
        committed), so no other batch of this dataset commits between our key check and ours.
        """
        version: int | None = None
        try:
            repo.lock_commits(session, batch.dataset)
            landed = self.store.batch_version(batch.dataset, batch.id)
            if landed is not None:  # an attempt we took over (or that took over ours) committed
                return self._finish_landed(session, batch, landed, attempt)
            outcome = committed_duplicates(self.store, contract, outcome, batch_id=batch.id)
            batch.accepted, batch.rejected, batch.reasons = _counts(outcome)
            if outcome.rejected_count:
                self.store.write_quarantine(batch.org, batch.id, outcome.rejected)
            if outcome.accepted_count:
                version = self.store.append(
                    batch.dataset,
                    outcome.valid,
                    batch_id=batch.id,
                    org=batch.org,
                    metadata={
                        "beacon.org": batch.org,
                        "beacon.contract_version": batch.contract_version,
                    },
                )
        except Exception as exc:
            session.rollback()
            repo.mark_failed(session, batch)
            try:
                self._commit(session, refused(attempt.event, exc), attempt)
            except Exception as audit_exc:  # must not mask the store error; retried by caller
                session.rollback()
                log.error("ingest.audit_failed", error=type(audit_exc).__name__)
            raise
        repo.mark_committed(session, batch, delta_version=version)
        self._commit(session, finished(attempt.event, batch, _final(batch)), attempt)
        session.refresh(batch)
        return batch

    def _finish_landed(
        self, session: Session, batch: IngestBatch, version: int, attempt: _Attempt
    ) -> IngestBatch:
        log.warning("ingest.recovered", batch_id=batch.id, delta_version=version)
        repo.mark_committed(session, batch, delta_version=version)
        self._commit(
            session, finished(attempt.event, batch, _final(batch), recovered=True), attempt
        )
        session.refresh(batch)
        return batch

    def _commit(self, session: Session, event: BatchUploaded, attempt: _Attempt) -> None:
        """The batch record's new state (already in ``session``) and its event: one commit."""
        self.audit.append(session, event)
        session.commit()
        attempt.outcome = event.outcome

    def _audit_refusal(self, session: Session, event: AuditRecord, *, error: Exception) -> None:
        try:
            self.audit.append(session, event)
            session.commit()
        except Exception as exc:  # the audit failure must not mask the original error
            session.rollback()
            log.error("ingest.audit_failed", error=type(exc).__name__, cause=type(error).__name__)


def _final(batch: IngestBatch) -> Outcome:
    return Outcome.ACCEPTED if batch.accepted else Outcome.REJECTED


def _counts(outcome: ValidationOutcome) -> tuple[int, int, dict[str, int]]:
    return outcome.accepted_count, outcome.rejected_count, dict(outcome.reason_counts)
