"""`beacon schemas export [--check]`: the JSON Schemas of contracts, views, grants and harm data.

Editors and the governance UI validate documents against these files; the models in
``gateway.contracts.documents``, ``gateway.views.documents``, ``gateway.grants.documents`` and
``gateway.harm.documents`` are their source, and a test fails when the committed files drift
from the models.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gateway.contracts.documents import ContractDocument
from gateway.documents import Document
from gateway.grants.documents import GrantsDocument
from gateway.harm.documents import HarmDocument
from gateway.views.documents import ViewDocument

app = typer.Typer(no_args_is_help=True)

# Where each schema lives, relative to the repository root.
SCHEMAS: dict[str, type[Document]] = {
    "contracts/schema/contract.schema.json": ContractDocument,
    "contracts/schema/view.schema.json": ViewDocument,
    "policies/schema/grants.schema.json": GrantsDocument,
    "policies/schema/harm.schema.json": HarmDocument,
}


def render(model: type[Document], path: str) -> str:
    """The schema text for ``model`` (stable key order, trailing newline)."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://beacon.example/{path}",
        **model.model_json_schema(mode="validation"),
    }
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def stale(root: Path) -> list[str]:
    """Schema files under ``root`` that are missing or differ from the models."""
    return [
        rel
        for rel, model in SCHEMAS.items()
        if not (root / rel).is_file() or (root / rel).read_text("utf-8") != render(model, rel)
    ]


@app.command("export")
def export(
    root: Annotated[Path, typer.Option(help="Repository root to write under.")] = Path("."),
    check: Annotated[bool, typer.Option("--check", help="Only report drift (exit 1).")] = False,
) -> None:
    """Write contracts/schema/*.json and policies/schema/*.json from the document models."""
    drift = stale(root)
    if check:
        for rel in drift:
            typer.echo(f"out of date: {rel}", err=True)
        raise typer.Exit(1 if drift else 0)
    for rel in drift:
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(SCHEMAS[rel], rel), encoding="utf-8")
        typer.echo(f"wrote {rel}")
