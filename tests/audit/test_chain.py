"""The audit chain: intact chains verify; edits, deletions and truncation are caught."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session

from gateway.audit.events import Outcome
from gateway.audit.models import AuditEvent
from gateway.audit.service import AuditLog, event_hash
from gateway.auth.principal import Principal
from gateway.db import build_engine
from gateway.settings import Settings
from tests.audit.probe import Probe, TokenProbe, UploadProbe, ViewProbe

ANALYST = Principal(subject="ngo-1", org="hope-ngo", sector="ngo", roles=frozenset({"analyst"}))


def _fill(log: AuditLog, n: int = 5) -> None:
    for i in range(n):
        log.record(
            ViewProbe(
                action="read",
                actor_org=ANALYST.org,
                actor_subject=ANALYST.subject,
                resource=f"views/v{i}",
                request_id=f"req-{i}",
                i=i,
                dims=["country"],
            )
        )


def test_empty_chain_is_intact(engine: Engine) -> None:
    result = AuditLog(engine).verify()
    assert result.ok and result.checked == 0


def test_intact_chain_verifies(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    result = log.verify()
    assert result.ok and result.checked == 5 and result.first_bad_seq is None
    events = log.list_events()
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(e.prev_hash == p.hash for p, e in itertools.pairwise(events))
    assert events[0].occurred_at.tzinfo is not None
    assert events[0].actor_org == "hope-ngo" and events[0].detail == {"i": 0, "dims": ["country"]}


def test_edited_detail_is_detected_at_its_seq(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    with engine.begin() as conn:
        conn.execute(
            sa.update(AuditEvent.__table__)  # type: ignore[arg-type]
            .where(sa.column("seq") == 3)
            .values(detail={"i": 999, "dims": ["country"]})
        )
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and result.checked == 2


def test_edited_column_via_raw_sql_is_detected(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_event SET outcome = 'failure' WHERE seq = 4"))
    assert log.verify().first_bad_seq == 4


def test_rehashed_edit_is_caught_by_the_next_link(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    with Session(engine) as session:
        event = session.get(AuditEvent, 2)
        assert event is not None
        event.actor_org = "someone-else"
        event.hash = event_hash(event)  # a careful forger recomputes the row's own hash
        session.add(event)
        session.commit()
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3


def test_deleted_middle_row_is_detected(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event WHERE seq = 3"))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 3 and "missing" in (result.problem or "")


def test_deleted_first_row_is_detected(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event WHERE seq = 1"))
    assert log.verify().first_bad_seq == 1


def test_deleted_last_row_is_detected(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log)
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit_event WHERE seq = 5"))
    result = log.verify()
    assert not result.ok and result.first_bad_seq == 5 and result.checked == 4


def test_detail_values_are_normalised_to_json(engine: Engine) -> None:
    log = AuditLog(engine)
    when = datetime(2024, 5, 1, tzinfo=UTC)
    event = log.record(UploadProbe(actor_subject="bank-1", at=when, n=1.5, ids=("a", "b")))
    assert event.detail == {
        "at": "2024-05-01T00:00:00Z",
        "n": 1.5,
        "ids": ["a", "b"],
    }
    assert log.verify().ok


def test_pagination_and_kind_filter(engine: Engine) -> None:
    log = AuditLog(engine)
    _fill(log, 3)
    log.record(TokenProbe(action="issue", outcome=Outcome.FAILURE, actor_subject="x"))
    assert [e.seq for e in log.list_events(limit=2)] == [1, 2]
    assert [e.seq for e in log.list_events(limit=2, after_seq=2)] == [3, 4]
    assert [e.seq for e in log.list_events(kind="token.issue")] == [4]
    assert [e.seq for e in log.tail(2)] == [3, 4]


def test_concurrent_appends_keep_one_chain(settings: Settings, engine: Engine) -> None:
    # Two "replicas" (separate engines and AuditLogs) with several threads each.
    other_engine = build_engine(settings)
    logs = [AuditLog(engine), AuditLog(other_engine)]
    errors: list[BaseException] = []

    def worker(log: AuditLog, n: int) -> None:
        try:
            for i in range(n):
                log.record(Probe(actor_org=ANALYST.org, actor_subject=ANALYST.subject, i=i))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(logs[i % 2], 15)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    other_engine.dispose()
    assert not errors, errors
    result = logs[0].verify()
    assert result.ok and result.checked == 8 * 15


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)  # advisory locks: PG only
def test_appends_do_not_wait_for_a_schema_migration(engine: Engine) -> None:
    """The chain lock has a key of its own: a migration holding its lock does not stall audit."""
    assert engine.dialect.name == "postgresql"
    from gateway.audit.service import AUDIT_LOCK_KEY
    from gateway.migrations import _PG_LOCK_KEY

    assert AUDIT_LOCK_KEY != _PG_LOCK_KEY
    with engine.connect() as migrating:
        migrating.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
        try:
            log = AuditLog(engine)
            with Session(engine) as session:
                session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
                log.append(session, Probe(i=1))
                session.commit()
        finally:
            migrating.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
    assert log.verify().checked == 1
