"""``beacon-connect contract show``: a dataset's columns, classifications and constraints."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from connectors.commands._shared import ProfileOption, client_for, consoles, exit_on_errors
from connectors.contract_source import contract_from_gateway, load_local_contract
from connectors.profile import load_profile

_PATTERN_CHARS = 40

app = typer.Typer(help="Inspect dataset contracts.", no_args_is_help=True)


@app.command("show")
def show(
    dataset: Annotated[str, typer.Argument(help="Dataset name.", show_default=False)],
    profile: ProfileOption,
    local: Annotated[
        bool, typer.Option("--local", help="Read the profile's contracts_dir, not the gateway.")
    ] = False,
) -> None:
    """Show the contract the gateway serves for DATASET (or the local copy with --local)."""
    out, err = consoles()
    with exit_on_errors(err):
        loaded = load_profile(profile)
        if local:
            contract = load_local_contract(loaded, dataset)
        else:
            with client_for(loaded) as client:
                contract = contract_from_gateway(client, dataset)
    table = Table(title=f"{contract.dataset} {contract.version}: {contract.title}")
    for name in ("column", "type", "classification", "required"):
        table.add_column(name, no_wrap=True)
    table.add_column("constraints", overflow="fold")
    for spec in contract.columns:
        cons = spec.constraints()
        if "allowed" in cons and len(cons["allowed"]) > 8:
            cons["allowed"] = [*cons["allowed"][:8], f"... {len(cons['allowed'])} values"]
        if len(cons.get("pattern", "")) > _PATTERN_CHARS:
            cons["pattern"] = cons["pattern"][: _PATTERN_CHARS - 3] + "..."
        table.add_row(
            spec.name,
            spec.type,
            spec.classification,
            "yes" if spec.required else "",
            escape(json.dumps(cons)) if cons else "",
        )
    out.print(table)
