"""`beacon releases cut|list`: governance cuts checked releases; a cron job runs `cut --due`."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from gateway.cli._common import cli_errors, console, fail, load_settings, open_engine

app = typer.Typer(no_args_is_help=True)


@app.command("cut")
def cut(
    dataset: str | None = typer.Argument(None, help="The dataset to release."),
    due: bool = typer.Option(False, "--due", help="Every dataset whose release is overdue."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Freeze what is committed as a release (refused if the difference is too small)."""
    from gateway.releases.jobs import build_release_service, cut_many

    if (dataset is None) == (not due):
        fail("name a DATASET or pass --due (not both)", code=2)
    settings = load_settings()
    if due and settings.privacy.release_every is None:
        fail("BEACON_PRIVACY__RELEASE_EVERY is not set: no release is ever due", code=2)
    with cli_errors():
        engine = open_engine(settings)
        try:
            service = build_release_service(settings, engine)
            if due:
                from sqlmodel import Session

                with Session(engine) as session:
                    datasets = service.due(session)
            else:
                service.contracts.get(dataset or "")  # unknown dataset → one-line error
                datasets = [dataset or ""]
            outcomes = cut_many(service, engine, datasets, actor="cli")
        finally:
            engine.dispose()
    for o in outcomes:
        if as_json:
            typer.echo(json.dumps(o.__dict__))
        elif o.release_id:
            console.print(f"[bold green]released[/] {o.dataset}: {o.release_id}")
        else:
            console.print(f"[yellow]not released[/] {o.dataset} ({o.problem}): {o.detail}")
    if not due and outcomes and outcomes[0].release_id is None:
        raise typer.Exit(1)


@app.command("list")
def list_(
    dataset: str | None = typer.Option(None, "--dataset", help="Only this dataset."),
    refused: bool = typer.Option(False, "--all", help="Refused cuts too."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Releases, newest first, with what each holds and adds."""
    from sqlmodel import Session

    from gateway.releases import repository as repo

    with cli_errors():
        engine = open_engine(load_settings())
        try:
            with Session(engine) as session:
                found = repo.list_releases(
                    session, dataset=dataset, published_only=not refused, limit=1000
                )
        finally:
            engine.dispose()
    if as_json:
        for r in found:
            typer.echo(json.dumps(r.model_dump(mode="json")))
        return
    table = Table("id", "dataset", "version", "cut_at", "by", "rows", "orgs", "+rows", "+orgs")
    table.add_column("status")
    for r in found:
        table.add_row(
            r.id,
            r.dataset,
            str(r.delta_version),
            r.cut_at.isoformat()[:19],
            r.cut_by,
            str(r.row_count),
            str(r.org_count),
            str(r.added_rows),
            str(r.added_orgs),
            r.status,
        )
    console.print(table)
