"""`beacon clients add|list|disable|rotate-secret`: OAuth2 clients (secrets printed once only)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Table

from gateway.cli._common import CLI_ACTOR, account_session, cli_errors, console

app = typer.Typer(no_args_is_help=True)


@app.command("add")
def add(
    org: Annotated[str, typer.Option("--org", help="Organisation slug.")],
    role: Annotated[
        list[str], typer.Option("--role", help="uploader, analyst, governance, admin.")
    ],
    name: str | None = typer.Option(None, "--name", help="Label for the client."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)."),
) -> None:
    """Create a client; prints its id and secret once."""
    with cli_errors(), account_session() as (service, session):
        client, secret = service.create_client(
            session, org_slug=org, roles=role, name=name, actor=CLI_ACTOR
        )
        out = {
            "client_id": client.client_id,
            "client_secret": secret,
            "org": org,
            "roles": client.roles,
            "name": client.name,
        }
    if as_json:
        typer.echo(json.dumps(out))
        return
    console.print(f"[green]created client for[/] {org} roles={','.join(out['roles'])}")
    console.print(f"client_id:     {out['client_id']}", highlight=False)
    console.print(f"client_secret: {out['client_secret']}", highlight=False)
    console.print("[yellow]Store the secret now: it is not shown again.[/]")


@app.command("list")
def list_(
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List clients (never their secrets)."""
    with cli_errors(), account_session() as (service, session):
        rows: list[dict[str, Any]] = [
            {
                "client_id": c.client_id,
                "org": o.slug,
                "name": c.name,
                "roles": c.roles,
                "disabled": c.disabled,
            }
            for c, o in service.list_clients(session, org_slug=org)
        ]
    if as_json:
        typer.echo(json.dumps(rows))
        return
    table = Table("org", "name", "roles", "disabled")
    table.add_column("client_id", no_wrap=True)
    for r in rows:
        table.add_row(
            r["org"],
            r["name"],
            ",".join(r["roles"]),
            "yes" if r["disabled"] else "",
            r["client_id"],
        )
    console.print(table)


@app.command("disable")
def disable(
    client_id: str = typer.Argument(..., help="The client to disable."),
    enable: bool = typer.Option(False, "--enable", help="Re-enable instead."),
) -> None:
    """Disable a client: new tokens are refused and its live tokens stop verifying."""
    with cli_errors(), account_session() as (service, session):
        service.set_client_disabled(
            session, client_id=client_id, disabled=not enable, actor=CLI_ACTOR
        )
    console.print(f"[green]{'enabled' if enable else 'disabled'}[/] {client_id}")


@app.command("rotate-secret")
def rotate_secret(
    client_id: str = typer.Argument(..., help="The client whose secret to replace."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON (for scripts)."),
) -> None:
    """Replace a client's secret (the old one stops working); prints the new one once."""
    with cli_errors(), account_session() as (service, session):
        client, secret = service.rotate_secret(session, client_id=client_id, actor=CLI_ACTOR)
        out = {"client_id": client.client_id, "client_secret": secret}
    if as_json:
        typer.echo(json.dumps(out))
        return
    console.print(f"client_id:     {out['client_id']}", highlight=False)
    console.print(f"client_secret: {out['client_secret']}", highlight=False)
    console.print("[yellow]Store the secret now: it is not shown again.[/]")
