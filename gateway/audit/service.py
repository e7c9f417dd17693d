"""Append-only, hash-chained audit log (defends against silent edits and deletions of the record).

Each event's ``hash`` is SHA-256 over the canonical JSON of its fields and the previous event's
hash; ``audit_head`` pins the newest (seq, hash) so truncating the tail is detected too. Appends
are serialised by a database lock held to the end of the caller's transaction
(``pg_advisory_xact_lock`` with a key of its own on PostgreSQL, an early write that takes
SQLite's write lock) so concurrent replicas cannot fork the chain.

Written once, with the action: ``append(session, event)`` adds the event to the caller's
transaction, so the state change and its event commit together or not at all. ``record(event)``
is for events that have no state of their own to commit (a refused request, a token issue).

What goes in ``detail``: identifiers, counts, reason codes, decision summaries. Never uploaded
row data, query results, secrets or tokens — the audit trail is readable by governance staff of
every partner and must not become a second copy of the data.

Limit: someone with write access to the database can rewrite the whole chain and the head
consistently; anchoring the head hash outside the database is a later step.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from gateway.audit.events import AuditRecord
from gateway.audit.models import GENESIS_HASH, AuditEvent, AuditHead

# "audit": one chain per database; distinct from the migrations' key so a schema upgrade on
# one replica does not stall every replica's audit writes.
AUDIT_LOCK_KEY = 0x6175_6469_7400
_VERIFY_BATCH = 1000


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str | None = None
    head_seq: int | None = None  # set when intact: the chain's newest event…
    head_hash: str | None = None  # …and its hash (compare with a copy kept elsewhere)


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normalise_detail(detail: dict[str, Any] | None) -> dict[str, Any]:
    """Round-trip through JSON so what we hash is exactly what the database gives back."""
    out = _without_nul(json.loads(json.dumps(detail or {}, default=str)))
    if not isinstance(out, dict):
        raise TypeError("audit detail must be a JSON object")
    return out


def _without_nul(value: Any) -> Any:
    """PostgreSQL text cannot hold NUL: replace it (a caller-sent name must still be recorded)."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, dict):
        return {_without_nul(k): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def _text(value: str | None, limit: int) -> str | None:
    return _without_nul(value[:limit]) if value else None


def _timestamp(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def event_hash(event: AuditEvent) -> str:
    body = {
        "seq": event.seq,
        "occurred_at": _timestamp(event.occurred_at),
        "kind": event.kind,
        "action": event.action,
        "outcome": event.outcome,
        "actor_org": event.actor_org,
        "actor_subject": event.actor_subject,
        "resource": event.resource,
        "request_id": event.request_id,
        "detail": event.detail,
        "prev_hash": event.prev_hash,
    }
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


class AuditLog:
    """The audit trail of one metadata database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, session: Session, event: AuditRecord) -> AuditEvent:
        """Add ``event`` to the chain inside ``session``'s transaction (the caller commits).

        Takes the chain lock until that transaction ends: keep it short (commit right after).
        """
        row = AuditEvent(
            seq=0,
            occurred_at=datetime.now(UTC),
            kind=_without_nul(event.kind[:64]),
            action=_without_nul(event.action[:64]),
            outcome=_without_nul(str(event.outcome)[:32]),
            actor_org=_text(event.actor_org, 100),
            actor_subject=_text(event.actor_subject, 200),
            resource=_text(event.resource, 500),
            request_id=_text(event.request_id, 64),
            detail=_normalise_detail(event.detail()),
            prev_hash=GENESIS_HASH,
            hash="",
        )
        head = _lock_head(session)
        row.seq = head.seq + 1
        row.prev_hash = head.hash
        row.hash = event_hash(row)
        head.seq, head.hash = row.seq, row.hash
        session.add(row)
        session.add(head)
        session.flush()
        return row

    def record(self, event: AuditRecord) -> AuditEvent:
        """Append ``event`` in a short transaction of its own (no state commits with it)."""
        with Session(self._engine, expire_on_commit=False) as session:
            row = self.append(session, event)
            session.commit()
        return row

    def list_events(
        self, limit: int = 100, after_seq: int | None = None, kind: str | None = None
    ) -> Sequence[AuditEvent]:
        """Events in chain order, ``limit`` at a time after ``after_seq``, optionally one kind."""
        stmt = select(AuditEvent).order_by(col(AuditEvent.seq)).limit(max(1, min(limit, 1000)))
        if after_seq is not None:
            stmt = stmt.where(col(AuditEvent.seq) > after_seq)
        if kind is not None:
            stmt = stmt.where(AuditEvent.kind == kind)
        with Session(self._engine, expire_on_commit=False) as session:
            return session.exec(stmt).all()

    def tail(self, n: int = 20, kind: str | None = None) -> Sequence[AuditEvent]:
        """The newest ``n`` events (optionally of one kind), oldest first."""
        stmt = select(AuditEvent).order_by(col(AuditEvent.seq).desc()).limit(max(1, n))
        if kind is not None:
            stmt = stmt.where(AuditEvent.kind == kind)
        with Session(self._engine, expire_on_commit=False) as session:
            return list(reversed(session.exec(stmt).all()))

    def verify(self) -> AuditVerification:
        """Recompute the whole chain; report the first edited, missing or truncated event."""
        expected_seq, prev_hash, checked = 1, GENESIS_HASH, 0
        for event in self._iter_events():
            if event.seq != expected_seq:
                return AuditVerification(
                    False, checked, expected_seq, f"event {expected_seq} is missing"
                )
            if event.prev_hash != prev_hash:
                return AuditVerification(
                    False, checked, event.seq, "prev_hash does not match the previous event"
                )
            if event_hash(event) != event.hash:
                return AuditVerification(False, checked, event.seq, "event content was altered")
            checked += 1
            expected_seq, prev_hash = event.seq + 1, event.hash
        with Session(self._engine) as session:
            head = session.get(AuditHead, 1)
        head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
        if head_seq != checked or head_hash != prev_hash:
            first_bad = min(head_seq, checked) + 1
            return AuditVerification(
                False, checked, first_bad, "the chain head does not match the last event"
            )
        return AuditVerification(True, checked, head_seq=head_seq, head_hash=head_hash)

    def _iter_events(self) -> Iterator[AuditEvent]:
        after = 0
        with Session(self._engine) as session:
            while True:
                batch = session.exec(
                    select(AuditEvent)
                    .where(col(AuditEvent.seq) > after)
                    .order_by(col(AuditEvent.seq))
                    .limit(_VERIFY_BATCH)
                ).all()
                if not batch:
                    return
                yield from batch
                after = batch[-1].seq
                session.expunge_all()


def _lock_head(session: Session) -> AuditHead:
    """Take the chain lock for this transaction and return the (possibly new) head row."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(AUDIT_LOCK_KEY)))
    else:
        # A write takes SQLite's database write lock now (if the transaction has not already),
        # so no other process can read the same head between our read and our commit.
        session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(seq=AuditHead.seq))
    head = session.get(
        AuditHead, 1, with_for_update=dialect == "postgresql", populate_existing=True
    )
    return head or AuditHead(id=1, seq=0, hash=GENESIS_HASH)
