"""``beacon-connect init``: a starter profile from the source's columns and the contract.

Fills in the obvious (a source column whose name matches a contract column once case and
punctuation are ignored; latitude/longitude pairs become an H3 derivation; country names become
a country derivation; columns that look like names, phones, e-mails or addresses are dropped)
and marks the rest with ``# TODO`` for the partner to decide. Close-but-not-equal names are
suggested in comments, never mapped: a wrong guess would send data into the wrong column.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated

import typer

from connectors.commands._shared import DatasetOption, consoles, exit_on_errors
from connectors.contract_source import contract_in
from connectors.errors import UsageError
from connectors.sources import kind_for_path, open_source
from gateway.contracts import Contract

REPO = Path(__file__).resolve().parents[2]
_IDENTIFYING = re.compile(r"name|phone|mobile|e-?mail|address|passport|dob|birth", re.I)
_LAT, _LON = re.compile(r"^(lat|latitude)$", re.I), re.compile(r"^(lon|lng|long|longitude)$", re.I)


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def init(
    source: Annotated[Path, typer.Option("--source", "-s", help="A sample of the source file.")],
    dataset: DatasetOption,
    output: Annotated[Path, typer.Option("--output", "-o", help="Profile to write.")] = Path(
        "partner.toml"
    ),
    gateway_url: Annotated[str, typer.Option(help="The gateway's URL.")] = "http://127.0.0.1:8000",
    client_id: Annotated[str, typer.Option(help="Your client id.")] = "CHANGE-ME",
    contracts_dir: Annotated[
        Path | None, typer.Option(help="Contracts folder (default: the checkout's contracts/).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing profile.")] = False,
) -> None:
    """Write a starter profile for DATASET from the columns of SOURCE."""
    out, err = consoles()
    with exit_on_errors(err):
        if output.exists() and not force:
            raise UsageError(f"{output} exists; use --force to overwrite it")
        folder = (contracts_dir or REPO / "contracts").resolve()
        contract = contract_in(folder, dataset)
        columns = open_source(kind_for_path(source), source).schema.names
        text = starter_profile(contract, columns, gateway_url, client_id, folder)
        output.write_text(text, encoding="utf-8")
        todo = text.count("# TODO")
        out.print(
            f"Wrote {output}: {todo} item(s) marked TODO. Next: beacon-connect push --dry-run"
        )


def starter_profile(
    contract: Contract, columns: list[str], gateway_url: str, client_id: str, contracts: Path
) -> str:
    by_key = {_key(c): c for c in columns}
    used: set[str] = set()
    mapped: list[str] = []
    todo: list[str] = []
    derive: list[str] = []
    pseudonymise: list[str] = []
    lat = next((c for c in columns if _LAT.match(c)), None)
    lon = next((c for c in columns if _LON.match(c)), None)
    for spec in contract.columns:
        match = by_key.get(_key(spec.name))
        need = "required" if spec.required else "optional"
        if spec.classification == "direct_identifier":
            hint = match or _close(spec.name, columns) or "<source id column>"
            pseudonymise.append(f'{spec.name} = "{hint}"  # CHECK: keyed hash of your own id')
            used.add(hint)
        elif spec.name == "h3_cell" and lat and lon:
            derive.append(f'{spec.name} = {{ kind = "h3", lat = "{lat}", lon = "{lon}" }}')
            used |= {lat, lon}
        elif spec.classification == "free_text":
            todo.append(
                f"# TODO ({need}) {spec.name}: free text; map it, list it in send_free_text "
                "and it is scrubbed (add names to [..scrub] deny_names_file)"
                + (f' — candidate "{match}"' if match else "")
            )
        elif match is not None:
            mapped.append(f'{spec.name} = "{match}"')
            used.add(match)
        else:
            close = _close(spec.name, columns)
            suggestion = f' — maybe "{close}"?' if close else ""
            todo.append(f"# TODO ({need}) {spec.name}: no matching source column{suggestion}")
    drop = [c for c in columns if c not in used and _IDENTIFYING.search(c)]
    lines = [
        f"# Starter profile for {contract.dataset} {contract.version} (beacon-connect init).",
        "# Check every line, resolve each TODO, then: beacon-connect push --dry-run ...",
        f'gateway_url = "{gateway_url}"',
        f'client_id = "{client_id}"',
        'client_secret_env = "BEACON_CLIENT_SECRET"',
        f'contracts_dir = "{contracts}"',
        'pseudonymisation_key_env = "BEACON_PSEUDONYM_KEY"',
        "",
        f"[datasets.{contract.dataset}]",
        f"drop = {_list(drop)}  # look like personal details: never sent",
        "send_free_text = []",
        "",
        f"[datasets.{contract.dataset}.columns]  # contract column = source column",
        *mapped,
        *todo,
        "",
        f"[datasets.{contract.dataset}.pseudonymise]",
        *pseudonymise,
    ]
    if derive:
        lines += ["", f"[datasets.{contract.dataset}.derive]", *derive]
    unused = [c for c in columns if c not in used and c not in drop]
    if unused:
        lines += ["", f"# Source columns not used (never sent): {', '.join(unused)}"]
    return "\n".join(lines) + "\n"


def _close(name: str, columns: list[str]) -> str | None:
    keys = {_key(c): c for c in columns}
    found = difflib.get_close_matches(_key(name), list(keys), n=1, cutoff=0.75)
    return keys[found[0]] if found else None


def _list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{i}"' for i in items) + "]"
