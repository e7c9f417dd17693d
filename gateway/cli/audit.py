"""`beacon audit verify|tail`: check and read the hash-chained audit trail."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from gateway.cli._common import cli_errors, console, err_console, load_settings, open_engine

app = typer.Typer(no_args_is_help=True)


@app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Recompute the chain: exit 0 with its length and head if intact, 1 with the first bad event.

    Refuses (exit 69) a database that does not exist rather than verifying an empty new one.
    """
    from gateway.audit.service import AuditLog

    with cli_errors():
        engine = open_engine(load_settings())
        try:
            result = AuditLog(engine).verify()
        finally:
            engine.dispose()
    if as_json:
        typer.echo(json.dumps(result.__dict__))
    elif result.ok:
        console.print(
            f"[bold green]audit chain intact[/]: {result.checked} events, "
            f"head seq {result.head_seq} hash {result.head_hash}",
            highlight=False,
            soft_wrap=True,
        )
    else:
        err_console.print(
            f"[bold red]audit chain BROKEN at seq {result.first_bad_seq}:[/] {result.problem} "
            f"({result.checked} events verified before it)",
            highlight=False,
        )
    raise typer.Exit(0 if result.ok else 1)


@app.command("tail")
def tail(
    n: int = typer.Option(20, "-n", "--lines", min=1, max=10000, help="How many events."),
    kind: str | None = typer.Option(None, "--kind", help="Only this kind, e.g. token.issue."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Show the newest audit events."""
    from gateway.audit.service import AuditLog

    with cli_errors():
        engine = open_engine(load_settings())
        try:
            log = AuditLog(engine)
            events = log.tail(n, kind=kind)
        finally:
            engine.dispose()
    if as_json:
        for e in events:
            typer.echo(json.dumps(e.model_dump(mode="json")))
        return
    table = Table("seq", "occurred_at", "kind", "action", "outcome", "actor", "resource")
    for e in events:
        actor = f"{e.actor_org or '-'}/{e.actor_subject or '-'}"
        table.add_row(
            str(e.seq),
            e.occurred_at.isoformat()[:23],
            e.kind,
            e.action,
            e.outcome,
            actor,
            e.resource or "",
        )
    console.print(table)
