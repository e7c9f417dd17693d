"""Entity keys are unique across the whole dataset, not only within a batch (issue 7 #4).

On SQLite and PostgreSQL, through the real app: a report id committed once (by any org, in any
earlier batch) is quarantined as ``report_id:duplicate`` when it comes again, so the stored
table holds each entity once; replaying the same batch still replays; and of two concurrent
batches with the same new ids, exactly one commits them.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from gateway.store.delta import DeltaStore
from tests.ingest.conftest import Stack, incident_rows, to_csv

pytestmark = pytest.mark.integration


def _stored_ids(stack: Stack) -> list[str]:
    data = stack.store.dataset("incident_reports")
    assert data is not None
    ids: list[str] = data.to_table(columns=["report_id"]).column("report_id").to_pylist()
    return ids


def test_a_report_seen_in_an_earlier_batch_is_quarantined_and_counted_once(
    stack: Stack,
) -> None:
    first = stack.upload(to_csv(incident_rows(5)), key="first", who="ngo_a")
    assert first.status_code == 201 and first.json()["accepted"] == 5
    # Rows 0-2 repeat ids of the first batch (another org, another key); 3-4 are new.
    again = incident_rows(3, start=2) + incident_rows(2, start=100)
    r = stack.upload(to_csv(again), key="second", who="ngo_b")
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["accepted"], body["rejected"]) == (2, 3)
    assert body["reasons"] == {"report_id:duplicate": 3}
    ids = _stored_ids(stack)
    assert len(ids) == len(set(ids)) == 7
    report = stack.client.get(body["links"]["rejections"], headers=stack.headers("ngo_b")).json()
    by_row = {row["row_number"]: row for row in report["rows"]}
    assert sorted(by_row) == [0, 1, 2]
    assert by_row[0]["values"]["report_id"] == "rep-00000002"
    assert [(x["column"], x["rule"]) for x in by_row[0]["reasons"]] == [("report_id", "duplicate")]
    assert "ngo-a" not in str(report)  # who committed it first is not revealed


def test_duplicate_and_other_failures_of_one_row_share_its_report_entry(stack: Stack) -> None:
    assert stack.upload(to_csv(incident_rows(3)), key="first").status_code == 201
    rows = incident_rows(3)  # all three ids are committed already
    rows[1]["confidence"] = "9"  # and this one also fails a rule
    body = stack.upload(to_csv(rows), key="second", who="ngo_b").json()
    assert (body["accepted"], body["rejected"]) == (0, 3)
    assert body["reasons"] == {"confidence:maximum": 1, "report_id:duplicate": 2}
    assert len(_stored_ids(stack)) == 3


def test_replaying_the_same_batch_replays_instead_of_quarantining_itself(stack: Stack) -> None:
    body = to_csv(incident_rows(4))
    first = stack.upload(body, key="same")
    again = stack.upload(body, key="same")
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert again.json()["reasons"] == {}
    assert len(_stored_ids(stack)) == 4


@dataclass
class PreCheckBarrier:
    """The real store, but both uploads' first key check (before any commit) meet at a barrier.

    So both see no committed ids and both reach the commit step: only the re-check under the
    per-dataset lock can keep the second from committing the same ids.
    """

    real: DeltaStore
    barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=30))
    seen: set[int] = field(default_factory=set)

    def committed_values(self, *args: Any, **kw: Any) -> pa.Array:
        found = self.real.committed_values(*args, **kw)
        me = threading.get_ident()
        if me not in self.seen:
            self.seen.add(me)
            self.barrier.wait()
        return found

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


def test_two_concurrent_batches_with_the_same_new_ids_commit_them_once(stack: Stack) -> None:
    real = stack.store
    stack.use(store=PreCheckBarrier(real))
    body = to_csv(incident_rows(40))
    results: dict[str, Any] = {}

    def go(who: str) -> None:
        results[who] = stack.upload(body, key=f"race-{who}", who=who)

    threads = [threading.Thread(target=go, args=(who,)) for who in ("ngo_a", "ngo_b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    stack.reset()
    assert {w: r.status_code for w, r in results.items()} == {"ngo_a": 201, "ngo_b": 201}
    outcomes = sorted((r.json()["accepted"], r.json()["rejected"]) for r in results.values())
    assert outcomes == [(0, 40), (40, 0)]
    loser = next(r.json() for r in results.values() if r.json()["accepted"] == 0)
    assert loser["reasons"] == {"report_id:duplicate": 40}
    ids = _stored_ids(stack)
    assert len(ids) == len(set(ids)) == 40
    stored = real.dataset("incident_reports")
    assert stored is not None
    orgs = pc.unique(stored.to_table(columns=["_org"]).column("_org")).to_pylist()
    assert len(orgs) == 1  # one org's batch holds them all
