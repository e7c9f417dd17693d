"""`beacon orgs add|list`: partner organisations."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.table import Table

from gateway.cli._common import CLI_ACTOR, account_session, cli_errors, console

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    slug: str = typer.Argument(..., help="Short id, e.g. 'hope-ngo' (lowercase, digits, -)."),
    name: str = typer.Option(..., "--name", help="Display name."),
    sector: str = typer.Option(..., "--sector", help="ngo, financial, business, government, …"),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Register a partner organisation."""
    with cli_errors(), account_session() as (service, session):
        org = service.create_org(session, slug=slug, name=name, sector=sector, actor=CLI_ACTOR)
        out = {"slug": org.slug, "name": org.name, "sector": org.sector}
    if as_json:
        typer.echo(json.dumps(out))
    else:
        console.print(f"[green]created organisation[/] {out['slug']} ({out['sector']})")


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List partner organisations."""
    with cli_errors(), account_session() as (service, session):
        rows: list[dict[str, Any]] = [
            {
                "slug": o.slug,
                "name": o.name,
                "sector": o.sector,
                "created_at": o.created_at.isoformat(),
            }
            for o in service.list_orgs(session)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("slug", "name", "sector", "created")
    for r in rows:
        table.add_row(r["slug"], r["name"], r["sector"], r["created_at"][:19])
    console.print(table)
