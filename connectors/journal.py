"""The push journal: which chunks of which push reached the gateway, so a push can resume.

Defends against doubled or lost rows when a push is interrupted (network drop, ``kill -9``,
expired token, power cut): every chunk the gateway acknowledged is appended as one JSON line
and fsynced before the next chunk is read. Re-running the same push (same dataset, contract
version, source fingerprint, mapping and chunk size) skips the acknowledged chunks whose
idempotency key still matches and sends the rest; a chunk sent but not yet journalled when the
process died is sent again under the same idempotency key, which the gateway answers with its
original result instead of writing the rows twice. A torn last line (killed mid-write) is
ignored. The journal holds counts, batch ids and keys, never row values.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors.client import BatchResult

STATE_ENV = "BEACON_CONNECT_STATE_DIR"


def default_state_dir() -> Path:
    """``$BEACON_CONNECT_STATE_DIR``, else ``$XDG_STATE_HOME/beacon-connect`` (~/.local/state)."""
    explicit = os.environ.get(STATE_ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "beacon-connect"


def push_id(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode()
        digest.update(len(data).to_bytes(4, "big") + data)
    return digest.hexdigest()[:24]


@dataclass
class PushRecord:
    """One push as the journal tells it (for ``beacon-connect status``)."""

    push_id: str
    header: dict[str, Any]
    chunks: dict[int, dict[str, Any]] = field(default_factory=dict)
    finished_at: str | None = None

    @property
    def complete(self) -> bool:
        return self.finished_at is not None

    def total(self, key: str) -> int:
        return sum(int(c.get(key, 0)) for c in self.chunks.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "push_id": self.push_id,
            **self.header,
            "complete": self.complete,
            "finished_at": self.finished_at,
            "chunks": len(self.chunks),
            "rows": self.total("rows"),
            "accepted": self.total("accepted"),
            "rejected": self.total("rejected"),
            "batch_ids": [self.chunks[i]["batch_id"] for i in sorted(self.chunks)],
        }


class Journal:
    """The append-only journal file of one push id."""

    def __init__(self, state_dir: Path, push: str, header: dict[str, Any]) -> None:
        self.path = state_dir / "pushes" / f"{push}.jsonl"
        self.record = read_record(self.path) if self.path.exists() else None
        if self.record is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            self.record = PushRecord(push, {**header, "started_at": started})
            self._append({"push_id": push, "header": self.record.header})

    @property
    def resuming(self) -> bool:
        """Whether an earlier run of this push already had chunks acknowledged."""
        return bool(self.record is not None and self.record.chunks)

    def acknowledged(self, index: int, key: str) -> BatchResult | None:
        """The gateway's earlier answer for chunk ``index`` if it was sent with ``key``."""
        assert self.record is not None
        entry = self.record.chunks.get(index)
        if entry is None or entry.get("key") != key:
            return None
        return BatchResult(
            batch_id=entry["batch_id"],
            dataset=entry["dataset"],
            contract_version=entry["contract_version"],
            status=entry["status"],
            accepted=entry["accepted"],
            rejected=entry["rejected"],
            reasons=dict(entry.get("reasons", {})),
            replayed=True,
            rows=entry["rows"],
            idempotency_key=key,
        )

    def chunk_done(self, index: int, offset: int, result: BatchResult) -> None:
        assert self.record is not None
        entry = {
            "chunk": index,
            "offset": offset,
            "key": result.idempotency_key,
            "batch_id": result.batch_id,
            "dataset": result.dataset,
            "contract_version": result.contract_version,
            "status": result.status,
            "rows": result.rows,
            "accepted": result.accepted,
            "rejected": result.rejected,
            "reasons": result.reasons,
        }
        self.record.chunks[index] = entry
        self._append(entry)

    def finish(self) -> None:
        assert self.record is not None
        self.record.finished_at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        self._append({"finished_at": self.record.finished_at})

    def _append(self, entry: dict[str, Any]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())


def read_record(path: Path) -> PushRecord | None:
    record: PushRecord | None = None
    for entry in _lines(path):
        if "header" in entry:
            record = PushRecord(str(entry["push_id"]), dict(entry["header"]))
        elif record is None:
            continue
        elif "chunk" in entry:
            record.chunks[int(entry["chunk"])] = entry
        elif "finished_at" in entry:
            record.finished_at = str(entry["finished_at"])
    return record


def list_pushes(state_dir: Path) -> list[PushRecord]:
    """Every journalled push, oldest first."""
    folder = state_dir / "pushes"
    records = [read_record(p) for p in folder.glob("*.jsonl")] if folder.is_dir() else []
    found = [r for r in records if r is not None]
    return sorted(found, key=lambda r: str(r.header.get("started_at", "")))


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                continue  # the torn last line of a killed process
            if isinstance(entry, dict):
                yield entry
