"""`beacon budgets list|renew`: governance sees every ε ledger and renews a budget (audited)."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from gateway.cli._common import cli_errors, console, load_settings, open_engine

app = typer.Typer(no_args_is_help=True)


@app.command("list")
def list_(
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines."),
) -> None:
    """Every budget: ε total, spent and left per (org, purpose, dataset, release)."""
    from sqlmodel import Session

    from gateway.budgets import repository as repo
    from gateway.budgets.service import BudgetState

    with cli_errors():
        engine = open_engine(load_settings())
        try:
            with Session(engine) as session:
                found = [BudgetState.of(r) for r in repo.for_org(session, org)]
        finally:
            engine.dispose()
    if as_json:
        for s in found:
            typer.echo(json.dumps({**s.__dict__, "epsilon_remaining": s.epsilon_remaining}))
        return
    table = Table("org", "purpose", "dataset", "release", "ε total", "ε spent", "ε left")
    for s in found:
        table.add_row(
            s.org,
            s.purpose,
            s.dataset,
            s.release_id,
            f"{s.epsilon_total:g}",
            f"{s.epsilon_spent:.6g}",
            f"{s.epsilon_remaining:.6g}",
        )
    console.print(table)


@app.command("renew")
def renew(
    org: str = typer.Argument(..., help="The recipient organisation."),
    dataset: str = typer.Argument(..., help="The dataset."),
    release_id: str = typer.Argument(..., help="The release the budget belongs to."),
    epsilon: float = typer.Option(..., "--epsilon", min=0.0, help="ε to add to the total."),
    purpose: str = typer.Option("general", "--purpose", help="The grant's DP purpose."),
) -> None:
    """Add ε to one budget's total (its debits stay on the record)."""
    from sqlmodel import Session

    from gateway.audit.service import AuditLog
    from gateway.budgets.service import BudgetService
    from gateway.contracts.registry import ContractRegistry

    settings = load_settings()
    with cli_errors():
        engine = open_engine(settings)
        try:
            service = BudgetService(
                audit=AuditLog(engine),
                contracts=ContractRegistry.load(settings.contracts_dir),
                settings=settings.privacy,
            )
            with Session(engine) as session:
                state = service.renew(
                    session,
                    org=org,
                    purpose=purpose,
                    dataset=dataset,
                    release_id=release_id,
                    epsilon=epsilon,
                    actor=None,
                )
        finally:
            engine.dispose()
    console.print(
        f"[bold green]renewed[/] {org}/{purpose} on {dataset}@{release_id}: "
        f"ε total {state.epsilon_total:g}, left {state.epsilon_remaining:.6g}"
    )
