"""Protection: keyed pseudonyms, dropped columns, and the clear-identifier guard."""

from __future__ import annotations

import pyarrow as pa
import pytest

from connectors.errors import ProtectionError
from connectors.profile import DatasetMapping, Profile
from connectors.protect import guard, pseudonymise
from connectors.push import encode_chunk, prepare
from gateway.contracts import Contract

KEY_A = b"a" * 32
KEY_B = b"b" * 32


def test_pseudonyms_are_deterministic_keyed_and_fixed_length() -> None:
    values = pa.chunked_array([["SH-1", "SH-2", "SH-1", None], [" SH-2 "]])
    a1 = pseudonymise(values, key=KEY_A, length=32).to_pylist()
    a2 = pseudonymise(values, key=KEY_A, length=32).to_pylist()
    b = pseudonymise(values, key=KEY_B, length=32).to_pylist()
    assert a1 == a2
    assert a1[0] == a1[2] and a1[1] == a1[4]  # same case → same id (whitespace trimmed)
    assert a1[0] != a1[1]
    assert a1[3] is None
    assert all(len(v) == 32 for v in a1 if v is not None)
    assert set(a1) & set(b) == {None}  # a different key gives unrelated ids


def test_source_values_never_appear_in_upload(
    ngo_profile: Profile, ngo_table: pa.Table, incident_contract: Contract
) -> None:
    prepared = prepare(ngo_profile, "incident_reports", ngo_table, incident_contract)
    body = encode_chunk(prepared.table.combine_chunks())
    for column in ("case_number", "victim_name", "victim_phone", "caseworker", "caseworker_notes"):
        assert column.encode() not in body
        for value in set(ngo_table.column(column).to_pylist()):
            assert value.encode() not in body, f"{column} value leaked"
    ids = prepared.table.column("report_id").to_pylist()
    assert len(set(ids)) == ngo_table.num_rows


def test_pseudonyms_change_with_the_partner_key(
    ngo_profile: Profile,
    ngo_table: pa.Table,
    incident_contract: Contract,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = prepare(ngo_profile, "incident_reports", ngo_table, incident_contract)
    monkeypatch.setenv("SAFE_HARBOUR_PSEUDONYM_KEY", "another-key-of-enough-length")
    second = prepare(ngo_profile, "incident_reports", ngo_table, incident_contract)
    assert set(first.table.column("report_id").to_pylist()).isdisjoint(
        second.table.column("report_id").to_pylist()
    )


def test_guard_refuses_direct_identifier_in_clear(incident_contract: Contract) -> None:
    with pytest.raises(ProtectionError, match="'report_id' is a direct identifier"):
        guard(incident_contract, DatasetMapping(columns={"report_id": "case_number"}))


def test_guard_allows_declared_upstream_pseudonyms(incident_contract: Contract) -> None:
    guard(
        incident_contract,
        DatasetMapping(columns={"report_id": "pid"}, pseudonymised_upstream=["report_id"]),
    )


def test_guard_refuses_free_text_without_opt_in(incident_contract: Contract) -> None:
    with pytest.raises(ProtectionError, match="'narrative' is free text"):
        guard(incident_contract, DatasetMapping(columns={"narrative": "notes"}))
    guard(
        incident_contract,
        DatasetMapping(columns={"narrative": "notes"}, send_free_text=["narrative"]),
    )


def test_guard_runs_before_anything_is_built(
    ngo_profile: Profile, ngo_table: pa.Table, incident_contract: Contract
) -> None:
    rules = ngo_profile.datasets["incident_reports"]
    bad = rules.model_copy(update={"columns": {**rules.columns, "narrative": "caseworker_notes"}})
    profile = ngo_profile.model_copy(update={"datasets": {"incident_reports": bad}})
    with pytest.raises(ProtectionError):
        prepare(profile, "incident_reports", ngo_table, incident_contract)


def test_pseudonym_is_plain_hmac_sha256_so_partners_can_reproduce_it() -> None:
    import hashlib
    import hmac

    out = pseudonymise(pa.chunked_array([["SH-2024-01000"]]), key=KEY_A, length=20)
    expected = hmac.new(KEY_A, b"SH-2024-01000", hashlib.sha256).hexdigest()[:20]
    assert out.to_pylist() == [expected]
