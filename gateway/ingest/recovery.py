"""Start-up reconciliation of unfinished batches against the Delta log (defends against rows
committed without their record or audit event, and against keys stuck 'in progress' after a
crash).

A process killed between a batch's Delta commit and the transaction that marks its record
committed leaves rows in the table with no ``accepted`` event; one killed before the commit
leaves a 'processing' record that blocks retries until it counts as stale. At start-up every
record not yet committed is checked against the Delta log:

- the log has the batch → the record is marked committed and its ``accepted``/``rejected``
  event (``recovered: true``) is appended, in one transaction;
- it does not, and the record is 'processing' and stale → it is marked 'failed' (with an
  ``error`` event), so the next retry with the same key re-runs at once.

A young 'processing' record may belong to a live request on another replica: left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.events import BatchUploaded, Outcome
from gateway.errors import TYPE_BASE
from gateway.ingest import repository as repo
from gateway.ingest.audit import finished

if TYPE_CHECKING:
    from gateway.audit.service import AuditLog
    from gateway.ingest.models import IngestBatch
    from gateway.store.delta import DeltaStore

log = structlog.get_logger(__name__)
ABANDONED = TYPE_BASE + "batch-abandoned"


@dataclass(frozen=True)
class Reconciliation:
    committed: int = 0  # found in the Delta log, record and event written
    failed: int = 0  # stale and not in the log: marked failed, retry re-runs at once
    left: int = 0  # young 'processing' records (maybe in flight elsewhere)


def reconcile_unfinished(
    engine: Engine,
    *,
    store: DeltaStore,
    audit: AuditLog,
    stale_after: timedelta,
    now: datetime | None = None,
) -> Reconciliation:
    """Bring every unfinished batch record in line with the Delta log (see module docstring)."""
    now = now or datetime.now(UTC)
    committed = failed = left = 0
    with Session(engine, expire_on_commit=False) as session:
        for batch in repo.unfinished(session):
            version = store.batch_version(batch.dataset, batch.id)
            if version is not None:
                repo.mark_committed(session, batch, delta_version=version)
                audit.append(session, _recovered_event(batch))
                session.commit()
                committed += 1
            elif batch.status == "processing" and batch.started_at <= now - stale_after:
                repo.mark_failed(session, batch)
                audit.append(session, _abandoned_event(batch))
                session.commit()
                failed += 1
            elif batch.status == "processing":
                left += 1
    result = Reconciliation(committed, failed, left)
    if committed or failed:
        log.warning("ingest.reconciled", committed=committed, failed=failed, in_flight=left)
    return result


def _base_event(batch: IngestBatch, outcome: Outcome) -> BatchUploaded:
    return BatchUploaded(
        action="recover",
        outcome=outcome,
        actor_org=batch.org,
        actor_subject=batch.uploaded_by,
        resource=f"datasets/{batch.dataset}/batches",
        dataset=batch.dataset,
        bytes=batch.body_bytes,
        content_type=batch.content_type,
        body_sha256=batch.body_sha256,
        batch_id=batch.id,
    )


def _recovered_event(batch: IngestBatch) -> BatchUploaded:
    outcome = Outcome.ACCEPTED if batch.accepted else Outcome.REJECTED
    return finished(_base_event(batch, outcome), batch, outcome, recovered=True)


def _abandoned_event(batch: IngestBatch) -> BatchUploaded:
    return _base_event(batch, Outcome.ERROR).model_copy(
        update={"error": ABANDONED, "status": 500, "recovered": True}
    )
