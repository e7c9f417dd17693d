"""The store's system columns ``_org`` and ``_record_key``, and the committed-key lookup."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import write_deltalake

from gateway.store.delta import ORG, RECORD_KEY, DeltaStore


def _rows(n: int, start: int = 0) -> pa.Table:
    return pa.table({"report_id": [f"r{i}" for i in range(start, start + n)]})


def test_every_row_gets_its_org_and_a_random_key_in_range(tmp_path: Path) -> None:
    store = DeltaStore(uri=str(tmp_path))
    store.append("incident_reports", _rows(5000), batch_id="b1", org="ngo-a")
    store.append("incident_reports", _rows(5000, 5000), batch_id="b2", org="bank-b")
    data = store.dataset("incident_reports")
    assert data is not None
    table = data.to_table(columns=["_batch_id", ORG, RECORD_KEY])
    assert table.schema.field(RECORD_KEY).type == pa.int64()
    by_batch = dict(zip(table["_batch_id"].to_pylist(), table[ORG].to_pylist(), strict=True))
    assert by_batch == {"b1": "ngo-a", "b2": "bank-b"}
    keys = table[RECORD_KEY].to_numpy()
    assert keys.min() >= 0 and keys.max() < 2**32
    # Uniform over 2**32: 10 000 draws spread over the range, nearly all distinct.
    assert len(set(keys.tolist())) >= 9990
    assert 0.4 * 2**32 < keys.mean() < 0.6 * 2**32
    # Fresh keys per append, not a reused stream: the two batches' keys differ.
    first, second = keys[:5000], keys[5000:]
    assert len(set(first.tolist()) & set(second.tolist())) < 5


def test_a_table_written_before_the_columns_existed_gains_them(tmp_path: Path) -> None:
    store = DeltaStore(uri=str(tmp_path))
    legacy = _rows(3).append_column("_batch_id", pa.array(["old"] * 3))
    legacy = legacy.append_column("_ingest_month", pa.array(["2025-01"] * 3))
    write_deltalake(store.table_uri("incident_reports"), legacy, partition_by=["_ingest_month"])
    store.append("incident_reports", _rows(2, 10), batch_id="new", org="ngo-a")
    data = store.dataset("incident_reports")
    assert data is not None
    table = data.to_table(columns=["_batch_id", ORG, RECORD_KEY])
    old = table.filter(pc.equal(table["_batch_id"], "old"))
    new = table.filter(pc.equal(table["_batch_id"], "new"))
    assert old[ORG].null_count == 3 and old[RECORD_KEY].null_count == 3  # documented: NULL
    assert new[ORG].to_pylist() == ["ngo-a", "ngo-a"] and new[RECORD_KEY].null_count == 0


def test_committed_values_finds_earlier_batches_only(tmp_path: Path) -> None:
    store = DeltaStore(uri=str(tmp_path))
    wanted = pa.array(["r1", "r2", "r9", None])
    assert store.committed_values("incident_reports", "report_id", wanted).to_pylist() == []
    store.append("incident_reports", _rows(3), batch_id="b1", org="ngo-a")
    found = store.committed_values("incident_reports", "report_id", wanted)
    assert sorted(found.to_pylist()) == ["r1", "r2"]
    mine = store.committed_values("incident_reports", "report_id", wanted, exclude_batch="b1")
    assert mine.to_pylist() == []
    absent = store.committed_values("incident_reports", "no_such_column", wanted)
    assert absent.to_pylist() == []
