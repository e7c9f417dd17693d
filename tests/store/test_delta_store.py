"""DeltaStore on a local folder and on S3 (moto): atomic appends, batch history, quarantine."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from pydantic import SecretStr

from gateway.settings import Settings
from gateway.store.delta import SYSTEM_COLUMNS, DeltaStore
from gateway.store.errors import InvalidStoreNameError, StoreUnavailableError, StoreWriteError

pytestmark = pytest.mark.integration


def _rows(n: int, start: int = 0) -> pa.Table:
    schema = pa.schema(
        [
            pa.field("report_id", pa.string(), nullable=False, metadata={"classification": "x"}),
            pa.field("victim_count", pa.int32()),
        ],
        metadata={"contract_version": "1.0.0"},
    )
    return pa.table(
        {
            "report_id": [f"r{i}" for i in range(start, start + n)],
            "victim_count": pa.array(range(n), pa.int32()),
        },
        schema=schema,
    )


def test_no_table_before_first_append(store: DeltaStore) -> None:
    assert store.dataset("incident_reports") is None
    assert store.version("incident_reports") is None
    assert not store.has_batch("incident_reports", "b1")


def test_append_is_one_commit_with_system_columns(store: DeltaStore) -> None:
    when = datetime(2026, 3, 14, 9, 30, tzinfo=UTC)
    v0 = store.append("incident_reports", _rows(3), batch_id="b1", org="org-a", ingested_at=when)
    v1 = store.append("incident_reports", _rows(2, 10), batch_id="b2", org="org-a")
    assert (v0, v1) == (0, 1)
    data = store.dataset("incident_reports")
    assert data is not None
    table = data.to_table()
    assert table.num_rows == 5
    assert set(SYSTEM_COLUMNS) <= set(table.column_names)
    assert table.schema.field("_ingested_at").type == pa.timestamp("us", tz="UTC")
    first = table.filter(pa.compute.equal(table["_batch_id"], "b1"))
    assert set(first["_ingest_month"].to_pylist()) == {"2026-03"}
    assert first["_ingested_at"][0].as_py() == when
    assert store.has_batch("incident_reports", "b1")
    assert store.has_batch("incident_reports", "b2")
    assert not store.has_batch("incident_reports", "b3")
    assert store.batch_version("incident_reports", "b1") == 0
    assert store.batch_version("incident_reports", "b2") == 1


def test_time_travel_reads_a_past_version(store: DeltaStore) -> None:
    store.append("incident_reports", _rows(3), batch_id="b1", org="org-a")
    store.append("incident_reports", _rows(4), batch_id="b2", org="org-a")
    past = store.dataset("incident_reports", version=0)
    assert past is not None and past.count_rows() == 3


def test_quarantine_roundtrip_and_isolation(store: DeltaStore) -> None:
    rejected = pa.table({"row_number": [2, 5], "victim_count": ["x", "-1"]})
    uri = store.write_quarantine("ngo-a", "b1", rejected)
    assert "_quarantine/ngo-a/b1.parquet" in uri
    assert store.read_quarantine("ngo-a", "b1").equals(rejected)
    with pytest.raises(FileNotFoundError):
        store.read_quarantine("bank-b", "b1")


@pytest.mark.parametrize("name", ["../etc", "a/b", "", "_quarantine", "UPPER"])
def test_unsafe_dataset_names_are_refused(store: DeltaStore, name: str) -> None:
    with pytest.raises(InvalidStoreNameError):
        store.table_uri(name)


def test_unsafe_quarantine_names_are_refused(store: DeltaStore) -> None:
    with pytest.raises(InvalidStoreNameError):
        store.quarantine_uri("../other", "b1")
    with pytest.raises(InvalidStoreNameError):
        store.quarantine_uri("ngo-a", "../../x")


def test_ping_ok(store: DeltaStore) -> None:
    store.ping()


def test_ping_fails_for_a_missing_bucket(s3_settings: Settings) -> None:
    s3_settings.store.uri = "s3://no-such-bucket-beacon/x"
    with pytest.raises(StoreUnavailableError):
        DeltaStore.from_settings(s3_settings).ping()


def test_ping_fails_for_an_unreachable_endpoint(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path)
    s.store.uri = "s3://bucket/x"
    s.store.s3_endpoint_url = "http://127.0.0.1:9"  # discard port: nothing listens
    s.store.s3_access_key_id = SecretStr("k")
    s.store.s3_secret_access_key = SecretStr("s")
    s.store.s3_allow_http = True
    with pytest.raises(StoreUnavailableError):
        DeltaStore.from_settings(s).ping()


def test_concurrent_appends_all_land_once(store: DeltaStore) -> None:
    store.append("incident_reports", _rows(1), batch_id="seed", org="org-a")
    errors: list[BaseException] = []

    def _write(i: int) -> None:
        try:
            store.append("incident_reports", _rows(10, i * 10), batch_id=f"c{i}", org="org-a")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=_write, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    data = store.dataset("incident_reports")
    assert data is not None and data.count_rows() == 41
    versions = {store.batch_version("incident_reports", f"c{i}") for i in range(4)}
    assert versions == {1, 2, 3, 4}


def test_compact_keeps_rows(store: DeltaStore) -> None:
    for i in range(3):
        store.append("incident_reports", _rows(5, i * 5), batch_id=f"b{i}", org="org-a")
    store.compact("incident_reports")
    data = store.dataset("incident_reports")
    assert data is not None and data.count_rows() == 15
    assert store.has_batch("incident_reports", "b1")


def test_write_errors_do_not_carry_row_values(store: DeltaStore) -> None:
    store.append("incident_reports", _rows(1), batch_id="b1", org="org-a")
    bad = pa.table({"report_id": pa.array(["SECRET-VALUE", None], pa.string())})
    with pytest.raises(StoreWriteError) as info:
        store.append("incident_reports", bad, batch_id="b2", org="org-a")
    assert "SECRET" not in str(info.value)
    assert info.value.__suppress_context__
    assert not store.has_batch("incident_reports", "b2")
