"""``beacon-connect status``: past pushes from the journal, with batch ids and counts."""

from __future__ import annotations

import json

from rich.table import Table

from connectors.commands._shared import JsonOption, StateDirOption, consoles
from connectors.journal import default_state_dir, list_pushes


def status(state_dir: StateDirOption = None, as_json: JsonOption = False) -> None:
    """List past pushes (oldest first): complete or resumable, rows, accepted, rejected."""
    out, _ = consoles()
    records = [r.to_dict() for r in list_pushes(state_dir or default_state_dir())]
    if as_json:
        out.print_json(json.dumps({"pushes": records}))
        return
    if not records:
        out.print("No pushes recorded yet.")
        return
    table = Table(title="Pushes", title_justify="left")
    for name in ("push id", "started", "dataset", "source", "state", "rows", "accepted"):
        table.add_column(name, overflow="fold")
    table.add_column("rejected")
    table.add_column("batch ids", overflow="fold")
    for r in records:
        table.add_row(
            r["push_id"],
            str(r.get("started_at", "")),
            r["dataset"],
            str(r["source"]),
            "complete" if r["complete"] else "incomplete: run the push again to resume",
            str(r["rows"]),
            str(r["accepted"]),
            str(r["rejected"]),
            " ".join(r["batch_ids"]),
        )
    out.print(table)
