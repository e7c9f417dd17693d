"""SQL for ingest batch records (the store is never touched here).

``insert`` and ``claim`` commit (they are compare-and-set steps other requests must see at
once); ``mark_committed`` and ``mark_failed`` only stage the change: the service commits it
together with the batch's audit event.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway.auth.models import utcnow
from gateway.dblock import hold_until_commit
from gateway.ingest.models import IngestBatch


def get(session: Session, batch_id: str) -> IngestBatch | None:
    return session.get(IngestBatch, batch_id, populate_existing=True)


def get_by_key(session: Session, org: str, key: str) -> IngestBatch | None:
    stmt = (
        select(IngestBatch)
        .where(IngestBatch.org == org, IngestBatch.idempotency_key == key)
        .execution_options(populate_existing=True)
    )
    return session.exec(stmt).first()


def insert(session: Session, batch: IngestBatch) -> bool:
    """Insert and commit; ``False`` if (org, key) is already taken (a concurrent duplicate)."""
    session.add(batch)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    session.refresh(batch)
    return True


def claim(session: Session, batch: IngestBatch, *, counts: tuple[int, int, dict[str, int]]) -> bool:
    """Start a new attempt on a failed/stale record; ``False`` if another request won the race."""
    accepted, rejected, reasons = counts
    result = session.execute(
        update(IngestBatch)
        .where(col(IngestBatch.id) == batch.id, col(IngestBatch.attempt) == batch.attempt)
        .where(col(IngestBatch.status) != "committed")
        .values(
            attempt=batch.attempt + 1,
            status="processing",
            started_at=utcnow(),
            accepted=accepted,
            rejected=rejected,
            reasons=reasons,
        )
    )
    session.commit()
    won = bool(result.rowcount == 1)  # type: ignore[attr-defined]
    session.refresh(batch)
    return won


def mark_committed(
    session: Session, batch: IngestBatch, *, delta_version: int | None, at: datetime | None = None
) -> IngestBatch:
    batch.status = "committed"
    batch.delta_version = delta_version
    batch.committed_at = at or utcnow()
    session.add(batch)
    session.flush()
    return batch


def mark_failed(session: Session, batch: IngestBatch) -> None:
    session.execute(
        update(IngestBatch)
        .where(col(IngestBatch.id) == batch.id, col(IngestBatch.status) == "processing")
        .values(status="failed")
    )


def lock_commits(session: Session, dataset: str) -> None:
    """Serialise check-then-commit on ``dataset`` across replicas until the next commit."""
    hold_until_commit(session, f"commit:{dataset}")


def unfinished(session: Session) -> Sequence[IngestBatch]:
    """Records not yet committed ('processing' or 'failed'), oldest first."""
    stmt = (
        select(IngestBatch)
        .where(col(IngestBatch.status) != "committed")
        .order_by(col(IngestBatch.created_at))
    )
    return session.exec(stmt).all()
