"""One path from a source to gateway batches, shared by the CLI, ``watch`` and the SDK.

``Plan`` maps and protects (nothing leaves the machine); ``stream_chunks`` cuts the source's
record batches into chunks of exactly ``batch_rows`` rows (so chunk boundaries, bytes and
idempotency keys depend only on the rows, never on how a reader happened to block them) and
``push_source`` uploads them one at a time: memory stays bounded by one chunk whatever the
source's size. Each chunk is an Arrow IPC stream with an idempotency key derived from its
bytes; with a ``Journal`` an interrupted push resumes where it stopped (``connectors.journal``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import pyarrow as pa

from connectors.client import BatchResult, GatewayClient
from connectors.contract_source import resolve_contract
from connectors.journal import Journal
from connectors.plan import Plan
from connectors.profile import Profile
from connectors.rejects import RejectsWriter
from connectors.sources import Source
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
    resumed: int = 0  # chunks the journal showed as already acknowledged (not re-sent)

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
    """Map, pseudonymise, scrub and guard a whole table; ``UsageError`` on any mismatch."""
    plan = Plan(profile, dataset, contract, source.schema)
    table = plan.apply(source)
    return PreparedTable(dataset, contract, table, plan.sent_from, plan.dropped, plan.unmapped)


def validate_locally(prepared: PreparedTable) -> ValidationOutcome:
    """The gateway's own contract checks (arrow engine), run before anything is sent."""
    return validate_chunk(prepared.contract, prepared.table)


def validate_chunk(contract: Contract, table: pa.Table) -> ValidationOutcome:
    return validate_batch(contract, table, validator=get_validator("arrow"))


def iter_chunks(table: pa.Table, batch_rows: int) -> Iterator[pa.Table]:
    return stream_chunks(table.to_batches(), batch_rows, schema=table.schema)


def stream_chunks(
    batches: Iterable[pa.RecordBatch], batch_rows: int, *, schema: pa.Schema
) -> Iterator[pa.Table]:
    """Tables of exactly ``batch_rows`` rows (the last may be shorter), combined."""
    if batch_rows < 1:
        raise ValueError("batch_rows must be at least 1")
    pending: list[pa.RecordBatch] = []
    held = 0
    for batch in batches:
        while batch.num_rows:
            take = min(batch_rows - held, batch.num_rows)
            pending.append(batch.slice(0, take))
            held += take
            batch = batch.slice(take)
            if held == batch_rows:
                yield pa.Table.from_batches(pending, schema=schema).combine_chunks()
                pending, held = [], 0
    if held:
        yield pa.Table.from_batches(pending, schema=schema).combine_chunks()


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
    """Send every chunk of a prepared table in order; stop at the first error (already-sent
    chunks stay sent and replay on the next run)."""
    return send_chunks(
        client,
        prepared.dataset,
        prepared.contract.version,
        iter_chunks(prepared.table, batch_rows),
        progress=progress,
    )


def send_chunks(
    client: GatewayClient,
    dataset: str,
    version: str,
    chunks: Iterable[pa.Table],
    *,
    progress: Progress | None = None,
    journal: Journal | None = None,
    rejects: RejectsWriter | None = None,
) -> PushSummary:
    """Upload prepared chunks one by one, skipping those the journal shows as acknowledged."""
    summary = PushSummary(dataset, version)
    offset = 0
    for index, chunk in enumerate(chunks):
        body = encode_chunk(chunk)
        key = idempotency_key(dataset, version, body)
        result = journal.acknowledged(index, key) if journal is not None else None
        if result is not None:
            summary.resumed += 1
        else:
            result = client.upload_batch(dataset, body, idempotency_key=key, rows=chunk.num_rows)
            if rejects is not None and result.rejected:
                rejects.add_batch(client, result, offset)
            if journal is not None:
                journal.chunk_done(index, offset, result)
        summary.batches.append(result)
        offset += chunk.num_rows
        if progress is not None:
            progress(chunk.num_rows)
    if journal is not None:
        journal.finish()
    return summary


def push_source(
    client: GatewayClient,
    plan: Plan,
    source: Source,
    *,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Progress | None = None,
    journal: Journal | None = None,
    rejects: RejectsWriter | None = None,
) -> PushSummary:
    """Stream ``source`` through ``plan`` to the gateway, one chunk in memory at a time."""
    chunks = (
        plan.apply(c) for c in stream_chunks(source.batches(), batch_rows, schema=source.schema)
    )
    return send_chunks(
        client,
        plan.dataset,
        plan.contract.version,
        chunks,
        progress=progress,
        journal=journal,
        rejects=rejects,
    )


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
