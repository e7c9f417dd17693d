"""``beacon-connect watch FOLDER``: push every new or changed source file dropped in FOLDER.

Uses watchfiles (inotify; it waits until a file has stopped changing). Each file goes through
the same resumable push as ``beacon-connect push``: a file pushed before is not sent twice (its
journal is complete), and a push that failed is retried when the file changes or with
``--once`` on the next run. ``--once`` pushes what is there and exits (for cron/systemd timers,
see README "For partners"). The connector's own outputs (``*.rejected.csv``, ``*.rekey.csv``)
and hidden files are ignored.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer
import watchfiles
from rich.console import Console
from rich.markup import escape

from connectors.commands._shared import (
    DatasetOption,
    ProfileOption,
    StateDirOption,
    consoles,
    exit_on_errors,
)
from connectors.errors import ConnectorError
from connectors.sdk import Client

SUFFIXES = (".csv", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".parquet", ".pq", ".jsonl")
_OWN = (".rejected.csv", ".rekey.csv")


def watch(
    folder: Annotated[Path, typer.Argument(help="Folder to watch.", file_okay=False)],
    profile: ProfileOption,
    dataset: DatasetOption,
    once: Annotated[bool, typer.Option("--once", help="Push what is there, then exit.")] = False,
    state_dir: StateDirOption = None,
) -> None:
    """Push each source file that appears or changes in FOLDER to DATASET."""
    out, err = consoles()
    with exit_on_errors(err):
        client = Client(profile, state_dir=state_dir)
        with client:
            run(client, folder, dataset, out=out, err=err, once=once)


def run(
    client: Client,
    folder: Path,
    dataset: str,
    *,
    out: Console,
    err: Console,
    once: bool = False,
    stop: threading.Event | None = None,
) -> int:
    """Push existing files, then (unless ``once``) each change; returns files pushed."""
    pushed = sum(_push(client, p, dataset, out, err) for p in sorted(folder.iterdir()))
    if once:
        return pushed
    out.print(f"Watching {escape(str(folder))} (Ctrl-C to stop)")
    for changes in watchfiles.watch(folder, watch_filter=_wanted, stop_event=stop):
        for path in sorted({Path(p) for kind, p in changes if kind != watchfiles.Change.deleted}):
            pushed += _push(client, path, dataset, out, err)
    return pushed


def _wanted(change: watchfiles.Change, path: str) -> bool:
    return change != watchfiles.Change.deleted and is_source(Path(path))


def is_source(path: Path) -> bool:
    name = path.name.lower()
    return not name.startswith(".") and name.endswith(SUFFIXES) and not name.endswith(_OWN)


def _push(client: Client, path: Path, dataset: str, out: Console, err: Console) -> int:
    if not path.is_file() or not is_source(path):
        return 0
    try:
        result = client.push(dataset, path)
    except ConnectorError as exc:  # one bad file must not stop the watcher
        err.print(f"[bold red]{escape(path.name)}:[/] {escape(str(exc))}")
        return 0
    resumed = f", {result.resumed_chunks} chunk(s) already sent" if result.resumed_chunks else ""
    out.print(
        f"{escape(path.name)}: {result.accepted} accepted, {result.rejected} rejected{resumed}"
    )
    return 1
