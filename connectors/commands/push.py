"""``beacon-connect push``: map, protect, validate locally, then upload in idempotent chunks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from connectors.client import GatewayClient
from connectors.commands import render
from connectors.commands._shared import (
    DatasetOption,
    ProfileOption,
    SourceArgument,
    client_for,
    consoles,
    exit_on_errors,
)
from connectors.contract_source import resolve_contract
from connectors.profile import SourceSpec, load_profile
from connectors.push import (
    DEFAULT_BATCH_ROWS,
    PreparedTable,
    prepare,
    upload,
    validate_locally,
)
from connectors.sources import kind_for_path, open_source, read_all


def push(
    source: SourceArgument,
    profile: ProfileOption,
    dataset: DatasetOption,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Map, protect and validate locally; send nothing.")
    ] = False,
    batch_rows: Annotated[
        int, typer.Option("--batch-rows", min=1, help="Rows per uploaded batch.")
    ] = DEFAULT_BATCH_ROWS,
) -> None:
    """Upload a source file to DATASET through the mapping in the profile."""
    run(source, profile, dataset, dry_run=dry_run, batch_rows=batch_rows)


def run(source: Path, profile_path: Path, dataset: str, *, dry_run: bool, batch_rows: int) -> None:
    out, err = consoles()
    with exit_on_errors(err):
        profile = load_profile(profile_path)
        table = _read(profile.mapping_for(dataset).source, source)
        needs_gateway = not dry_run or profile.contracts_dir is None
        client = client_for(profile) if needs_gateway else None
        try:
            contract = resolve_contract(profile, dataset, client)
            prepared = prepare(profile, dataset, table, contract)
            render.local_summary(out, prepared, validate_locally(prepared))
            if dry_run or client is None:
                out.print("[bold]Dry run:[/] nothing was sent.")
                return
            _upload(out, err, client, prepared, batch_rows)
        finally:
            if client is not None:
                client.close()


def _read(spec: SourceSpec | None, location: Path) -> pa.Table:
    if spec is None:
        return read_all(open_source(kind_for_path(location), location))
    return read_all(open_source(spec.kind, location, spec.options))


def _upload(
    out: Console, err: Console, client: GatewayClient, prepared: PreparedTable, batch_rows: int
) -> None:
    with Progress(
        TextColumn("Uploading"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("upload", total=prepared.table.num_rows)
        summary = upload(
            client, prepared, batch_rows=batch_rows, progress=lambda n: bar.advance(task, n)
        )
    render.push_summary(out, err, summary)
