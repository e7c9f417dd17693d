"""``connectors.Client``: the Python SDK for partners who script their own uploads.

The same plan, journal and protections as ``beacon-connect push``, with typed results::

    from connectors import Client

    with Client("partner.toml") as beacon:
        preview = beacon.dry_run("incident_reports", "cases.xlsx")
        result = beacon.push("incident_reports", "cases.xlsx")
        print(result.accepted, result.batch_ids)

A source is a file path, a SQLAlchemy URL (with ``source.kind = "sql"`` in the profile) or an
Arrow table already in memory. Errors are the connector's own (``connectors.errors``):
``UsageError`` for anything on the partner side, ``GatewayError`` for the gateway.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import pyarrow as pa

from connectors.client import GatewayClient
from connectors.contract_source import resolve_contract
from connectors.dryrun import DryRunReport, dry_run
from connectors.journal import Journal, PushRecord, default_state_dir, list_pushes, push_id
from connectors.plan import Plan
from connectors.profile import Profile, load_profile
from connectors.push import DEFAULT_BATCH_ROWS, Progress, push_source
from connectors.rejects import RejectsWriter, rejects_path_for
from connectors.sources import Source, source_for
from connectors.sources.memory import TableSource

SourceLike: TypeAlias = str | Path | pa.Table


@dataclass(frozen=True)
class PushResult:
    """What one push did (``rejected_rows_file`` is set when the gateway refused rows)."""

    push_id: str
    dataset: str
    contract_version: str
    rows: int
    accepted: int
    rejected: int
    reasons: dict[str, int]
    batch_ids: list[str]
    resumed_chunks: int
    rejected_rows_file: Path | None


class Client:
    """A partner's session: profile, gateway client and push journal."""

    def __init__(self, profile: Profile | str | Path, *, state_dir: Path | None = None) -> None:
        self.profile = profile if isinstance(profile, Profile) else load_profile(profile)
        self.state_dir = state_dir or default_state_dir()
        self._gateway: GatewayClient | None = None

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._gateway is not None:
            self._gateway.close()
            self._gateway = None

    @property
    def gateway(self) -> GatewayClient:
        if self._gateway is None:
            self._gateway = GatewayClient.from_profile(self.profile)
        return self._gateway

    def dry_run(
        self,
        dataset: str,
        source: SourceLike | None = None,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
    ) -> DryRunReport:
        """Exactly what would leave, without sending anything."""
        opened, _ = self._open(dataset, source)
        return dry_run(self._plan(dataset, opened), opened, batch_rows)

    def push(
        self,
        dataset: str,
        source: SourceLike | None = None,
        *,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        progress: Progress | None = None,
        restart: bool = False,
    ) -> PushResult:
        """Upload ``source``; an interrupted earlier push of the same source resumes."""
        opened, location = self._open(dataset, source)
        plan = self._plan(dataset, opened)
        journal = open_journal(
            self.profile, plan, location, batch_rows, self.state_dir, restart=restart
        )
        rejects = RejectsWriter(rejects_path_for(location), append=journal.resuming)
        summary = push_source(
            self.gateway,
            plan,
            opened,
            batch_rows=batch_rows,
            progress=progress,
            journal=journal,
            rejects=rejects,
        )
        assert journal.record is not None
        return PushResult(
            push_id=journal.record.push_id,
            dataset=dataset,
            contract_version=summary.contract_version,
            rows=summary.rows,
            accepted=summary.accepted,
            rejected=summary.rejected,
            reasons=summary.reasons,
            batch_ids=summary.batch_ids,
            resumed_chunks=summary.resumed,
            rejected_rows_file=rejects.path if rejects.rows else None,
        )

    def status(self) -> list[PushRecord]:
        """Past pushes from the journal, oldest first."""
        return list_pushes(self.state_dir)

    def _open(self, dataset: str, source: SourceLike | None) -> tuple[Source, str]:
        if isinstance(source, pa.Table):
            return TableSource(source), f"table-{id(source)}"
        return source_for(self.profile.mapping_for(dataset).source, source)

    def _plan(self, dataset: str, opened: Source) -> Plan:
        needs_gateway = self.profile.contracts_dir is None
        contract = resolve_contract(self.profile, dataset, self.gateway if needs_gateway else None)
        return Plan(self.profile, dataset, contract, opened.schema)


def open_journal(
    profile: Profile,
    plan: Plan,
    location: str,
    batch_rows: int,
    state_dir: Path | None,
    *,
    restart: bool = False,
) -> Journal:
    """The journal of this push: same dataset, contract, source, mapping and chunking."""
    state = state_dir or default_state_dir()
    pid = push_id(
        plan.dataset,
        plan.contract.version,
        _fingerprint(location),
        plan.rules.model_dump_json(),
        profile.gateway_url,
        profile.client_id,
        str(batch_rows),
    )
    if restart:
        (state / "pushes" / f"{pid}.jsonl").unlink(missing_ok=True)
    header = {
        "dataset": plan.dataset,
        "contract_version": plan.contract.version,
        "source": shown_location(location),
        "batch_rows": batch_rows,
        "gateway": profile.gateway_url,
    }
    return Journal(state, pid, header)


def _fingerprint(location: str) -> str:
    path = Path(location)
    if path.is_file():
        stat = path.stat()
        return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    return location


def shown_location(location: str) -> str:
    """A location safe to store and print (a database URL without its password)."""
    if "://" in location and "@" in location:
        scheme, _, rest = location.partition("://")
        creds, _, host = rest.rpartition("@")
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return location
