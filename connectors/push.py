"""One path from a source table to gateway batches, shared by the CLI and SDK callers.

``prepare`` maps and protects (nothing leaves the machine); ``upload`` chunks the prepared table
into Arrow IPC streams, each with an idempotency key derived from its bytes, so re-running the
same push replays the gateway's earlier answers instead of writing rows twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from connectors import mapping as mapping_
from connectors import protect
from connectors.client import BatchResult, GatewayClient
from connectors.contract_source import resolve_contract
from connectors.profile import Profile
from gateway.contracts import Contract, ValidationOutcome, get_validator, validate_batch

DEFAULT_BATCH_ROWS = 100_000
Progress = Callable[[int], None]


@dataclass(frozen=True)
class PreparedTable:
    """A contract-shaped, protected table ready to upload, plus what was left behind."""

    dataset: str
    contract: Contract
    table: pa.Table
    sent_from: dict[str, str]
    dropped: list[str]
    unmapped: list[str]


@dataclass
class PushSummary:
    dataset: str
    contract_version: str
    batches: list[BatchResult] = field(default_factory=list)

    @property
    def batch_ids(self) -> list[str]:
        return [b.batch_id for b in self.batches]

    @property
    def rows(self) -> int:
        return sum(b.rows for b in self.batches)

    @property
    def accepted(self) -> int:
        return sum(b.accepted for b in self.batches)

    @property
    def rejected(self) -> int:
        return sum(b.rejected for b in self.batches)

    @property
    def replayed(self) -> int:
        return sum(1 for b in self.batches if b.replayed)

    @property
    def reasons(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for b in self.batches:
            for rule, n in b.reasons.items():
                out[rule] = out.get(rule, 0) + n
        return out


def prepare(profile: Profile, dataset: str, source: pa.Table, contract: Contract) -> PreparedTable:
    """Map, pseudonymise and guard; raise ``UsageError`` subclasses on any mismatch."""
    rules = profile.mapping_for(dataset).expand(contract.column_names, source.column_names)
    mapping_.check_mapping(contract, rules, source.column_names)
    protect.guard(contract, rules)
    columns = mapping_.map_columns(source, rules)
    if rules.pseudonymise:
        key = profile.resolve_pseudonymisation_key().get_secret_value().encode()
        columns |= protect.pseudonymise_columns(
            source, rules, key=key, length=profile.pseudonym_length
        )
    sent_from = {
        **{t: s for t, s in rules.columns.items()},
        **{t: "(constant)" for t in rules.constants},
        **{t: f"pseudonym of {s}" for t, s in rules.pseudonymise.items()},
    }
    table = mapping_.assemble(contract, columns)
    return PreparedTable(
        dataset=dataset,
        contract=contract,
        table=table,
        sent_from={n: sent_from[n] for n in table.column_names},
        dropped=[c for c in rules.drop if c in source.column_names],
        unmapped=mapping_.unmapped_columns(rules, source.column_names),
    )


def validate_locally(prepared: PreparedTable) -> ValidationOutcome:
    """The gateway's own contract checks (arrow engine), run before anything is sent."""
    return validate_batch(prepared.contract, prepared.table, validator=get_validator("arrow"))


def iter_chunks(table: pa.Table, batch_rows: int) -> Iterator[pa.Table]:
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    for offset in range(0, table.num_rows, batch_rows):
        yield table.slice(offset, batch_rows).combine_chunks()


def encode_chunk(chunk: pa.Table) -> bytes:
    """One Arrow IPC stream (a single record batch: ``chunk`` is already combined)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, chunk.schema) as writer:
        writer.write_table(chunk)
    return bytes(sink.getvalue())


def idempotency_key(dataset: str, contract_version: str, body: bytes) -> str:
    """Same dataset, contract version and bytes → same key, on any machine, in any run."""
    digest = hashlib.sha256()
    for part in (dataset.encode(), contract_version.encode()):
        digest.update(len(part).to_bytes(4, "big") + part)
    digest.update(body)
    return digest.hexdigest()


def upload(
    client: GatewayClient,
    prepared: PreparedTable,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
) -> PushSummary:
    """Send every chunk in order; stop at the first error (already-sent chunks stay sent and
    replay on the next run)."""
    version = prepared.contract.version
    summary = PushSummary(prepared.dataset, version)
    for chunk in iter_chunks(prepared.table, batch_rows):
        body = encode_chunk(chunk)
        key = idempotency_key(prepared.dataset, version, body)
        result = client.upload_batch(
            prepared.dataset, body, idempotency_key=key, rows=chunk.num_rows
        )
        summary.batches.append(result)
        if progress is not None:
            progress(chunk.num_rows)
    return summary


def push_table(
    client: GatewayClient,
    profile: Profile,
    dataset: str,
    table: pa.Table,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    contract: Contract | None = None,
) -> PushSummary:
    """Map, protect and upload ``table`` (a source table with the partner's own column names)."""
    contract = contract or resolve_contract(profile, dataset, client)
    prepared = prepare(profile, dataset, table, contract)
    return upload(client, prepared, batch_rows=batch_rows, progress=progress)
