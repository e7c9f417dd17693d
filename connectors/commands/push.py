"""``beacon-connect push``: map, protect, validate locally, then upload in resumable chunks.

Streams the source: one chunk of ``--batch-rows`` rows is in memory at a time. A push that is
interrupted (network, ``kill -9``, expired token) resumes when the same command runs again;
``--restart`` forgets the journal (the gateway still replays chunks it already has).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from connectors.commands import render
from connectors.commands._shared import (
    EXIT_REJECTED,
    DatasetOption,
    JsonOption,
    ProfileOption,
    SourceArgument,
    StateDirOption,
    client_for,
    consoles,
    exit_on_errors,
    progress_bar,
)
from connectors.contract_source import resolve_contract
from connectors.dryrun import dry_run as dry_run_report
from connectors.journal import Journal
from connectors.plan import Plan
from connectors.profile import Profile, load_profile
from connectors.push import DEFAULT_BATCH_ROWS, PushSummary, push_source
from connectors.rejects import RejectsWriter, beside, rejects_path_for
from connectors.sdk import open_journal
from connectors.sources import Source, source_for


def push(
    profile: ProfileOption,
    dataset: DatasetOption,
    source: SourceArgument = None,
    dry_run_: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show exactly what would leave, column by column; send nothing."
        ),
    ] = False,
    batch_rows: Annotated[
        int, typer.Option("--batch-rows", min=1, help="Rows per uploaded batch.")
    ] = DEFAULT_BATCH_ROWS,
    as_json: JsonOption = False,
    state_dir: StateDirOption = None,
    restart: Annotated[
        bool, typer.Option("--restart", help="Ignore the journal of an earlier, unfinished run.")
    ] = False,
    fail_on_rejects: Annotated[
        bool, typer.Option("--fail-on-rejects", help="Exit 3 if the gateway rejected any row.")
    ] = False,
) -> None:
    """Upload SOURCE (or the profile's source.location) to DATASET through the profile."""
    code = run(
        source,
        profile,
        dataset,
        dry_run=dry_run_,
        batch_rows=batch_rows,
        as_json=as_json,
        state_dir=state_dir,
        restart=restart,
    )
    if code and fail_on_rejects:
        raise typer.Exit(EXIT_REJECTED)


def run(
    source: str | None,
    profile_path: Path,
    dataset: str,
    *,
    dry_run: bool,
    batch_rows: int,
    as_json: bool = False,
    state_dir: Path | None = None,
    restart: bool = False,
) -> int:
    """The push; returns the number of rows the gateway rejected."""
    _, err = consoles()
    with exit_on_errors(err, as_json=as_json):
        profile = load_profile(profile_path)
        opened, location = source_for(profile.mapping_for(dataset).source, source)
        return execute(
            profile,
            dataset,
            opened,
            location,
            dry_run=dry_run,
            batch_rows=batch_rows,
            as_json=as_json,
            state_dir=state_dir,
            restart=restart,
        )
    return 0  # pragma: no cover - exit_on_errors always raises on error


def execute(
    profile: Profile,
    dataset: str,
    opened: Source,
    location: str,
    *,
    dry_run: bool,
    batch_rows: int,
    as_json: bool = False,
    state_dir: Path | None = None,
    restart: bool = False,
) -> int:
    """Dry run or push of an opened source (errors propagate to the caller's handler)."""
    out, err = consoles()
    needs_gateway = not dry_run or profile.contracts_dir is None
    client = client_for(profile) if needs_gateway else None
    try:
        contract = resolve_contract(profile, dataset, client)
        plan = Plan(profile, dataset, contract, opened.schema)
        if dry_run or client is None:
            total = getattr(opened, "row_count", None)
            with progress_bar(err, "Checking", total=total, quiet=as_json) as advance:
                report = dry_run_report(plan, opened, batch_rows, progress=advance)
            if as_json:
                out.print_json(json.dumps(report.to_dict()))
            else:
                render.dry_run(out, plan, report)
            return 0
        journal = open_journal(profile, plan, location, batch_rows, state_dir, restart=restart)
        rejects = RejectsWriter(rejects_path_for(location), append=journal.resuming)
        total = getattr(opened, "row_count", None)
        with progress_bar(err, "Uploading", total=total, quiet=as_json) as advance:
            summary = push_source(
                client,
                plan,
                opened,
                batch_rows=batch_rows,
                progress=advance,
                journal=journal,
                rejects=rejects,
            )
        write_crosswalk(plan, location)
        _report(out, err, summary, journal, rejects, as_json=as_json)
        return summary.rejected
    finally:
        if client is not None:
            client.close()


def write_crosswalk(plan: Plan, location: str) -> None:
    """During a key rotation: old -> new pseudonyms beside the source (keyed hashes only)."""
    walk = plan.report.crosswalk
    if not walk:
        return
    path = beside(location, ".rekey.csv")
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["column", "old_pseudonym", "new_pseudonym"])
        for column, pairs in sorted(walk.items()):
            writer.writerows([column, old, new] for old, new in sorted(pairs.items()))


def _report(
    out: Console,
    err: Console,
    summary: PushSummary,
    journal: Journal,
    rejects: RejectsWriter,
    *,
    as_json: bool,
) -> None:
    if as_json:
        body = {
            "push_id": journal.record.push_id if journal.record else None,
            "dataset": summary.dataset,
            "contract_version": summary.contract_version,
            "rows": summary.rows,
            "accepted": summary.accepted,
            "rejected": summary.rejected,
            "reasons": summary.reasons,
            "resumed_chunks": summary.resumed,
            "batch_ids": summary.batch_ids,
            "rejected_rows_file": str(rejects.path) if rejects.rows else None,
        }
        out.print_json(json.dumps(body))
        return
    render.push_summary(out, err, summary)
    if summary.resumed:
        out.print(f"Resumed: {summary.resumed} chunk(s) were already acknowledged; not re-sent.")
    if rejects.rows:
        err.print(f"Rejected rows listed in {rejects.path} ({rejects.rows} row(s)).")
