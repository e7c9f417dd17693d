"""`beacon privacy ptable`: print the published cell-key perturbation table."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True)


@app.command("ptable")
def ptable(
    fmt: str = typer.Option("csv", "--format", help="csv or json."),
) -> None:
    """The (true count, cell key) -> noise table every cell-key answer uses, for publication."""
    from gateway.cli._common import fail
    from gateway.privacy.cellkey import default_table

    table = default_table()
    if fmt == "csv":
        typer.echo(table.to_csv(), nl=False)
    elif fmt == "json":
        typer.echo(table.to_json())
    else:
        fail("--format must be csv or json")
