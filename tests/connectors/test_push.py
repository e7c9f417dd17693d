"""Chunking, idempotency keys and push_table against the fake gateway."""

from __future__ import annotations

import subprocess
import sys

import pyarrow as pa
import pytest

from connectors.client import GatewayClient
from connectors.profile import Profile
from connectors.push import (
    encode_chunk,
    idempotency_key,
    iter_chunks,
    prepare,
    push_table,
)
from gateway.contracts import Contract
from tests.connectors.conftest import KEY, REPO
from tests.connectors.fake_gateway import CLIENT_ID, CLIENT_SECRET, FakeGateway


def _client(fake: FakeGateway) -> GatewayClient:
    return GatewayClient(
        "http://gw", CLIENT_ID, CLIENT_SECRET, transport=fake.transport(), sleep=lambda _s: None
    )


def test_chunks_cover_all_rows_in_order() -> None:
    table = pa.table({"a": pa.chunked_array([list(range(7)), list(range(7, 10))])})
    chunks = list(iter_chunks(table, 4))
    assert [c.num_rows for c in chunks] == [4, 4, 2]
    assert [v for c in chunks for v in c.column("a").to_pylist()] == list(range(10))
    assert all(c.column("a").num_chunks == 1 for c in chunks)
    with pytest.raises(ValueError, match="at least 1"):
        list(iter_chunks(table, 0))


def test_idempotency_key_depends_on_dataset_version_and_bytes() -> None:
    body = encode_chunk(pa.table({"a": ["x"]}))
    key = idempotency_key("incident_reports", "1.0.0", body)
    assert key == idempotency_key("incident_reports", "1.0.0", body)
    assert key != idempotency_key("incident_reports", "1.0.1", body)
    assert key != idempotency_key("financial_indicators", "1.0.0", body)
    assert key != idempotency_key("incident_reports", "1.0.0", body + b"\0")
    assert len(key) == 64


_KEYS_SCRIPT = """
import os, sys
os.environ["SAFE_HARBOUR_PSEUDONYM_KEY"] = sys.argv[1]
from connectors.profile import load_profile
from connectors.sources import read_source
from connectors.contract_source import resolve_contract
from connectors.push import prepare, iter_chunks, encode_chunk, idempotency_key
p = load_profile("connectors/examples/ngo/partner.toml")
c = resolve_contract(p, "incident_reports")
t = prepare(p, "incident_reports", read_source("connectors/examples/ngo/cases.csv"), c).table
print(",".join(idempotency_key("incident_reports", c.version, encode_chunk(x))
               for x in iter_chunks(t, 16)))
"""


def test_idempotency_keys_are_stable_across_processes() -> None:
    def keys() -> str:
        out = subprocess.run(
            [sys.executable, "-c", _KEYS_SCRIPT, KEY],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip()

    first = keys()
    assert first == keys()
    assert len(first.split(",")) == 4  # 50 rows / 16


def test_push_table_uploads_chunks_and_replays_on_rerun(
    ngo_profile: Profile, ngo_table: pa.Table, incident_contract: Contract, fake: FakeGateway
) -> None:
    seen: list[int] = []
    with _client(fake) as client:
        first = push_table(
            client, ngo_profile, "incident_reports", ngo_table, batch_rows=20, progress=seen.append
        )
        second = push_table(client, ngo_profile, "incident_reports", ngo_table, batch_rows=20)
    assert seen == [20, 20, 10]
    assert first.rows == 50 and first.accepted == 47 and first.rejected == 3
    assert first.reasons == {"country:allowed": 1, "victim_count:minimum": 1, "age_band:allowed": 1}
    assert first.replayed == 0
    assert second.replayed == 3 and second.batch_ids == first.batch_ids
    uploads = fake.uploads
    assert len(uploads) == 6
    assert uploads[0].headers["idempotency-key"] == uploads[3].headers["idempotency-key"]
    assert uploads[0].headers["content-type"] == "application/vnd.apache.arrow.stream"
    assert fake.tokens_issued == 1


def test_dropped_columns_never_reach_the_gateway(
    ngo_profile: Profile, ngo_table: pa.Table, fake: FakeGateway
) -> None:
    with _client(fake) as client:
        push_table(client, ngo_profile, "incident_reports", ngo_table, batch_rows=25)
    names = set(ngo_table.column("victim_name").to_pylist())
    cases = set(ngo_table.column("case_number").to_pylist())
    for upload in fake.uploads:
        sent = pa.ipc.open_stream(upload.body).read_all()
        assert not {
            "victim_name",
            "victim_phone",
            "caseworker",
            "case_number",
            "caseworker_notes",
        } & set(sent.column_names)
        for value in names | cases:
            assert value.encode() not in upload.body


def test_push_table_fetches_the_contract_from_the_gateway_without_contracts_dir(
    ngo_profile: Profile, ngo_table: pa.Table, fake: FakeGateway
) -> None:
    profile = ngo_profile.model_copy(update={"contracts_dir": None})
    with _client(fake) as client:
        summary = push_table(client, profile, "incident_reports", ngo_table)
    assert summary.contract_version == "1.0.0" and len(summary.batches) == 1
    assert any(r.path == "/v1/datasets/incident_reports/contract" for r in fake.requests)


def test_prepared_table_is_what_is_sent(
    ngo_profile: Profile, ngo_table: pa.Table, incident_contract: Contract, fake: FakeGateway
) -> None:
    prepared = prepare(ngo_profile, "incident_reports", ngo_table, incident_contract)
    with _client(fake) as client:
        push_table(client, ngo_profile, "incident_reports", ngo_table)
    sent = pa.ipc.open_stream(fake.uploads[0].body).read_all()
    assert sent.equals(prepared.table.combine_chunks())


@pytest.mark.parametrize("dataset", ["incident_reports", "financial_indicators"])
def test_identity_profile_pushes_synthetic_data(dataset: str, fake: FakeGateway) -> None:
    """The demo's path: contract-shaped synthetic tables through an identity profile."""
    from connectors.synthetic.synth import generate

    table = generate(dataset, 300, seed=3)
    profile = Profile.identity(
        "http://gw", CLIENT_ID, CLIENT_SECRET, dataset, contracts_dir=REPO / "contracts"
    )
    with _client(fake) as client:
        summary = push_table(client, profile, dataset, table, batch_rows=128)
    assert summary.rows == 300 and len(summary.batches) == 3
    assert summary.accepted == 300 and summary.rejected == 0
