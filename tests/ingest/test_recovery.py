"""Crash and concurrency behaviour: nothing half-written, nothing doubled, retries succeed.

Failures are injected with small fakes of OUR ports (a store wrapper that raises at a chosen
step, a policy engine that is down); the database, Delta store and audit stay real.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.app import create_app
from gateway.audit.events import AuditRecord, Outcome
from gateway.audit.models import AuditEvent
from gateway.audit.service import AuditLog
from gateway.ingest.models import IngestBatch
from gateway.policy.errors import PolicyUnavailableError
from gateway.store.delta import DeltaStore
from tests.auth.helpers import TestClient
from tests.ingest.conftest import Stack, incident_rows, to_csv

pytestmark = pytest.mark.integration


class InjectedCrashError(RuntimeError):
    pass


@dataclass
class CrashingStore:
    """Delegates to the real store; raises before (or right after) the Delta commit."""

    real: DeltaStore
    crash: str = "before_commit"  # or "after_commit"
    calls: list[str] = field(default_factory=list)

    def append(self, dataset: str, table: pa.Table, **kw: Any) -> int:
        self.calls.append("append")
        if self.crash == "before_commit":
            raise InjectedCrashError("disk vanished")
        version = self.real.append(dataset, table, **kw)
        raise InjectedCrashError(f"process died after committing v{version}")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class DownPolicy:
    name = "down"

    def decide(self, path: str, input: Any, *, draft: Any = None) -> Any:
        raise PolicyUnavailableError("policy engine timed out")

    def ping(self) -> None:
        raise PolicyUnavailableError("down")

    def close(self) -> None:
        pass


def _records(stack: Stack) -> list[IngestBatch]:
    with Session(stack.engine) as s:
        return list(s.exec(select(IngestBatch)).all())


def _mixed_body() -> bytes:
    rows = incident_rows(4)
    rows[0]["victim_count"] = "0"  # below minimum → quarantined
    return to_csv(rows)


def test_crash_between_quarantine_and_commit_leaves_nothing_visible(stack: Stack) -> None:
    real = stack.store
    stack.use(store=CrashingStore(real))
    r = stack.upload(_mixed_body(), key="crashy")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert "disk vanished" not in r.text  # 5xx detail stays generic
    assert real.dataset("incident_reports") is None  # no Delta data visible
    [record] = _records(stack)
    assert record.status == "failed"
    get = stack.client.get(f"/v1/batches/{record.id}", headers=stack.headers("ngo_a"))
    assert get.json()["status"] == "failed"

    stack.reset()
    retry = stack.upload(_mixed_body(), key="crashy")
    assert retry.status_code == 201, retry.text
    body = retry.json()
    assert body["batch_id"] == record.id  # same batch, second attempt
    assert (body["accepted"], body["rejected"], body["status"]) == (3, 1, "committed")
    assert stack.delta_rows() == 3
    assert real.read_quarantine("ngo-a", record.id).num_rows == 1


def test_crash_after_commit_is_recovered_not_doubled(stack: Stack) -> None:
    real = stack.store
    stack.use(store=CrashingStore(real, crash="after_commit"))
    assert stack.upload(_mixed_body(), key="late").status_code == 500
    assert stack.delta_rows() == 3  # the commit happened; the record was not finished
    [record] = _records(stack)
    assert record.status == "failed"

    stack.reset()
    retry = stack.upload(_mixed_body(), key="late")
    assert retry.status_code == 200, retry.text
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json()["status"] == "committed"
    assert retry.json()["delta_version"] == 0
    assert stack.delta_rows() == 3
    assert real.version("incident_reports") == 0


def _stuck_record(stack: Stack, body: bytes, *, age: timedelta) -> IngestBatch:
    record = IngestBatch(
        org="ngo-a",
        dataset="incident_reports",
        contract_version="1.0.0",
        idempotency_key="stuck",
        body_sha256=hashlib.sha256(body).hexdigest(),
        content_type="text/csv",
        uploaded_by="someone",
        started_at=datetime.now(UTC) - age,
    )
    with Session(stack.engine, expire_on_commit=False) as s:
        s.add(record)
        s.commit()
    return record


def test_young_processing_record_is_409_in_progress(stack: Stack) -> None:
    body = to_csv(incident_rows(3))
    _stuck_record(stack, body, age=timedelta(seconds=5))
    r = stack.upload(body, key="stuck")
    assert r.status_code == 409
    assert r.json()["type"].endswith("batch-in-progress")
    # Truthful: the seconds until the record counts as stale and a retry takes it over.
    until_stale = stack.ingest.stale_after.total_seconds() - 5
    assert until_stale - 2 <= int(r.headers["Retry-After"]) <= until_stale
    assert stack.delta_rows() == 0


def test_stale_processing_record_is_taken_over(stack: Stack) -> None:
    body = to_csv(incident_rows(3))
    stuck = _stuck_record(stack, body, age=timedelta(hours=1))
    r = stack.upload(body, key="stuck")
    assert r.status_code == 201, r.text
    assert r.json()["batch_id"] == stuck.id
    assert stack.delta_rows() == 3


def test_stuck_record_whose_commit_landed_is_finished(stack: Stack) -> None:
    body = to_csv(incident_rows(3))
    stuck = _stuck_record(stack, body, age=timedelta(seconds=1))
    stack.store.append(
        "incident_reports",
        pa.table({"report_id": ["rep-x"]}),
        batch_id=stuck.id,
        org=stuck.org,
    )
    r = stack.upload(body, key="stuck")
    assert r.status_code == 200
    assert r.json()["status"] == "committed"
    assert stack.delta_rows() == 1


def test_concurrent_duplicates_commit_once(stack: Stack) -> None:
    body = to_csv(incident_rows(50))
    statuses: list[int] = []

    def _go() -> None:
        statuses.append(stack.upload(body, key="race").status_code)

    threads = [threading.Thread(target=_go) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {200, 201, 409}
    assert stack.delta_rows() == 50
    assert len(_records(stack)) == 1


def test_policy_engine_down_is_503_and_writes_nothing(stack: Stack) -> None:
    stack.use(policy=DownPolicy())
    r = stack.upload(to_csv(incident_rows(3)))
    assert r.status_code == 503
    assert r.json()["type"].endswith("policy-unavailable")
    assert _records(stack) == []
    assert stack.delta_rows() == 0
    (event,) = stack.audit.list_events(kind="batch.upload")  # the engine being down is audited
    assert (event.outcome, event.detail["status"]) == ("error", 503)
    assert event.detail["error"].endswith("policy-unavailable")


def test_store_down_is_reported_and_retry_works(stack: Stack) -> None:
    """A store that refuses the quarantine write: nothing visible, the key can be retried."""
    real = stack.store

    class QuarantineDown(CrashingStore):
        def write_quarantine(self, *a: Any, **kw: Any) -> str:
            raise OSError("bucket unreachable")

    stack.use(store=QuarantineDown(real))
    assert stack.upload(_mixed_body(), key="q").status_code == 500
    assert real.dataset("incident_reports") is None
    stack.reset()
    assert stack.upload(_mixed_body(), key="q").status_code == 201
    assert stack.delta_rows() == 3


def test_gx_validator_gives_the_same_outcome(stack: Stack) -> None:
    stack.use(validator="gx")
    r = stack.upload(_mixed_body(), key="gx")
    assert r.status_code == 201, r.text
    assert (r.json()["accepted"], r.json()["rejected"]) == (3, 1)
    assert r.json()["reasons"] == {"victim_count:minimum": 1}


class AuditWriteFailedError(RuntimeError):
    pass


class FailingAudit(AuditLog):
    """The real audit log, except that appending the chosen outcome fails after staging it."""

    def __init__(self, engine: Engine, fail_on: Outcome) -> None:
        super().__init__(engine)  # the app's database
        self.fail_on = fail_on

    def append(self, session: Session, event: AuditRecord) -> AuditEvent:
        row = super().append(session, event)
        if event.outcome == self.fail_on:
            raise AuditWriteFailedError("audit table unavailable")
        return row


def test_failed_audit_write_rolls_back_the_batch_record(stack: Stack) -> None:
    """The record's final state and its event are one transaction: neither without the other.

    The Delta commit (the atomic point) has happened when the audit write fails, so the rows
    are in the store while the record is not 'committed' and no 'accepted' event exists — the
    same state a crash between the Delta commit and that transaction leaves. The retry reads
    the Delta log and writes both.
    """
    stack.use(audit=FailingAudit(stack.engine, fail_on=Outcome.ACCEPTED))
    assert stack.upload(_mixed_body(), key="audit-down").status_code == 500
    [record] = _records(stack)
    assert record.status == "processing" and record.committed_at is None
    assert stack.delta_rows() == 3
    uploads = stack.audit.list_events(kind="batch.upload")
    assert [e.outcome for e in uploads] == ["error"]  # the failure, never an 'accepted'
    assert stack.audit.verify().ok

    stack.reset()
    retry = stack.upload(_mixed_body(), key="audit-down")
    assert retry.status_code == 200, retry.text
    assert retry.json()["status"] == "committed"
    assert stack.delta_rows() == 3  # recovered, not doubled
    [record] = _records(stack)
    assert record.status == "committed"
    accepted = [e for e in stack.audit.list_events(kind="batch.upload") if e.outcome == "accepted"]
    assert len(accepted) == 1 and accepted[0].detail["recovered"] is True
    assert accepted[0].detail["batch_id"] == record.id
    assert stack.audit.verify().ok


def test_failed_audit_write_rolls_back_marking_a_batch_failed(stack: Stack) -> None:
    real = stack.store
    failing = FailingAudit(stack.engine, fail_on=Outcome.ERROR)
    stack.use(store=CrashingStore(real), audit=failing)
    assert stack.upload(_mixed_body(), key="both-down").status_code == 500
    [record] = _records(stack)
    assert record.status == "processing"  # 'failed' was rolled back with its event
    assert stack.audit.list_events(kind="batch.upload") == []
    stack.reset()
    assert stack.upload(_mixed_body(), key="both-down").status_code == 409  # young: in progress


def _restart(stack: Stack) -> None:
    """Start the gateway again on the same database and store (its start-up reconciles)."""
    with TestClient(create_app(stack.settings)):
        pass


def test_restart_after_a_kill_before_the_delta_commit_lets_the_retry_run_at_once(
    stack: Stack,
) -> None:
    """SIGKILL after the record was written, before the commit: 'processing', nothing in Delta."""
    body = to_csv(incident_rows(3))
    stale = stack.ingest.stale_after + timedelta(seconds=1)
    stuck = _stuck_record(stack, body, age=stale)
    _restart(stack)
    [record] = _records(stack)
    assert record.status == "failed"  # not in the Delta log and stale: a retry re-runs it
    [event] = stack.audit.list_events(kind="batch.upload")
    assert (event.action, event.outcome, event.detail["batch_id"]) == ("recover", "error", stuck.id)
    r = stack.upload(body, key="stuck")
    assert r.status_code == 201, r.text  # at once, no 409
    assert r.json()["batch_id"] == stuck.id
    assert stack.delta_rows() == 3
    assert stack.audit.verify().ok


def test_restart_leaves_a_young_in_progress_record_alone(stack: Stack) -> None:
    body = to_csv(incident_rows(3))
    _stuck_record(stack, body, age=timedelta(seconds=2))  # maybe in flight on another replica
    _restart(stack)
    [record] = _records(stack)
    assert record.status == "processing"
    assert stack.audit.list_events(kind="batch.upload") == []


def test_restart_after_a_kill_after_the_delta_commit_writes_record_and_event(
    stack: Stack,
) -> None:
    """SIGKILL after the Delta commit, before the record's transaction: rows without an event.

    The failing audit append reproduces exactly that state (rows in Delta, record 'processing',
    no 'accepted' event). The restart alone repairs it: no retry is needed.
    """
    stack.use(audit=FailingAudit(stack.engine, fail_on=Outcome.ACCEPTED))
    assert stack.upload(_mixed_body(), key="killed-late").status_code == 500
    stack.reset()
    [record] = _records(stack)
    assert record.status == "processing" and stack.delta_rows() == 3
    _restart(stack)
    [record] = _records(stack)
    assert (record.status, record.delta_version) == ("committed", 0)
    accepted = [e for e in stack.audit.list_events(kind="batch.upload") if e.outcome == "accepted"]
    assert len(accepted) == 1
    assert accepted[0].detail["recovered"] is True
    assert (accepted[0].detail["batch_id"], accepted[0].detail["accepted"]) == (record.id, 3)
    got = stack.client.get(f"/v1/batches/{record.id}", headers=stack.headers("ngo_a"))
    assert got.json()["status"] == "committed"
    retry = stack.upload(_mixed_body(), key="killed-late")
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert stack.delta_rows() == 3  # never doubled
    assert stack.audit.verify().ok


def test_a_takeover_whose_rows_landed_meanwhile_does_not_double_them(stack: Stack) -> None:
    """Two attempts on one record: the later one finds the batch in the Delta log under the
    commit lock (the earlier attempt committed after the later one had checked) and finishes
    the record instead of appending again."""
    real = stack.store

    @dataclass
    class LandsDuringTakeover:
        real: DeltaStore
        checks: int = 0

        def batch_version(self, dataset: str, batch_id: str) -> int | None:
            self.checks += 1
            if self.checks == 1:  # the earlier attempt commits right after this first check
                real.append(
                    dataset, pa.table({"report_id": ["rep-x"]}), batch_id=batch_id, org="ngo-a"
                )
                return None
            return real.batch_version(dataset, batch_id)

        def __getattr__(self, name: str) -> Any:
            return getattr(self.real, name)

    body = to_csv(incident_rows(3))
    _stuck_record(stack, body, age=stack.ingest.stale_after + timedelta(seconds=1))
    stack.use(store=LandsDuringTakeover(real))
    r = stack.upload(body, key="stuck")
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "committed"
    assert stack.delta_rows() == 1  # the earlier attempt's rows only, not doubled
