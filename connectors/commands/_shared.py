"""What every command needs: consoles, a gateway client from a profile, error → exit code.

Exit codes (documented in README "For partners"): 0 success; 1 the gateway failed or refused
(unreachable after retries, a problem response); 2 usage, profile, source or mapping errors
(nothing was sent); 3 ``--fail-on-rejects`` and the gateway rejected rows; 130 interrupted
(Ctrl-C; run the same command again to resume). Errors are printed as one clean message (with
``--json``, one JSON object on stderr); no traceback, which could carry secrets, is shown.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from connectors.client import GatewayClient
from connectors.errors import GatewayError, GatewayProblem, UsageError
from connectors.profile import Profile
from gateway.contracts import SchemaMismatchError

EXIT_GATEWAY = 1
EXIT_USAGE = 2
EXIT_REJECTED = 3
EXIT_INTERRUPTED = 130

ProfileOption = Annotated[
    Path, typer.Option("--profile", "-p", help="Partner profile (TOML).", show_default=False)
]
DatasetOption = Annotated[
    str, typer.Option("--dataset", "-d", help="Dataset (contract) name.", show_default=False)
]
SourceArgument = Annotated[
    str | None,
    typer.Argument(
        help="Source file (.csv, .tsv, .xlsx, .parquet, .jsonl) or, with source.kind = sql, a "
        "SQLAlchemy URL; default: the profile's source.location.",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Machine-readable output: one JSON object on stdout.")
]
StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="Where push journals live (default $BEACON_CONNECT_STATE_DIR or "
        "~/.local/state/beacon-connect).",
        show_default=False,
    ),
]


def consoles() -> tuple[Console, Console]:
    """(stdout, stderr) consoles, created per invocation so tests can capture them."""
    return Console(highlight=False), Console(stderr=True, highlight=False)


def client_for(profile: Profile) -> GatewayClient:
    return GatewayClient.from_profile(profile)


@contextmanager
def exit_on_errors(err: Console, *, as_json: bool = False) -> Iterator[None]:
    """Turn the connector's exceptions into a message and an exit code."""
    try:
        yield
    except GatewayProblem as exc:
        if as_json:
            _json_error(err, "gateway_problem", str(exc), EXIT_GATEWAY, status=exc.status)
        print_problem(err, exc)
        raise typer.Exit(EXIT_GATEWAY) from None
    except GatewayError as exc:
        if as_json:
            _json_error(err, "gateway_error", str(exc), EXIT_GATEWAY)
        err.print(f"[bold red]Gateway error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_GATEWAY) from None
    except SchemaMismatchError as exc:
        if as_json:
            _json_error(err, "schema_mismatch", exc.detail, EXIT_USAGE)
        err.print(f"[bold red]Mapped data does not fit the contract:[/] {escape(exc.detail)}")
        raise typer.Exit(EXIT_USAGE) from None
    except UsageError as exc:
        if as_json:
            _json_error(err, "usage", str(exc), EXIT_USAGE)
        err.print(f"[bold red]Error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None
    except KeyboardInterrupt:
        err.print("[yellow]Interrupted:[/] run the same command again to resume.")
        raise typer.Exit(EXIT_INTERRUPTED) from None


def _json_error(err: Console, kind: str, message: str, code: int, **extra: object) -> None:
    err.file.write(json.dumps({"error": kind, "message": message, "exit_code": code, **extra}))
    err.file.write("\n")
    raise typer.Exit(code)


@contextmanager
def progress_bar(
    err: Console, label: str, *, total: int | None, quiet: bool = False
) -> Iterator[Callable[[int], None]]:
    """A rich progress bar on stderr with rows, rows/s and (when the total is known) ETA."""
    if quiet:
        yield lambda n: None
        return
    columns = [
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn() if total else TextColumn("{task.completed:,} rows"),
        TextColumn("{task.fields[rate]} rows/s"),
        TimeElapsedColumn(),
    ]
    if total:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, console=err) as bar:
        task = bar.add_task(label, total=total, rate="-")

        def advance(n: int) -> None:
            bar.advance(task, n)
            speed = bar.tasks[task].speed
            bar.update(task, rate=f"{speed:,.0f}" if speed else "-")

        yield advance


def print_problem(err: Console, problem: GatewayProblem) -> None:
    err.print(
        f"[bold red]Gateway refused the request:[/] {escape(problem.title)} (HTTP {problem.status})"
    )
    if problem.detail and problem.detail != problem.title:
        err.print(f"  {escape(problem.detail)}")
    for key in ("missing_columns", "unexpected_columns"):
        values = problem.extensions.get(key)
        if values:
            err.print(f"  {key.replace('_', ' ')}: {escape(', '.join(map(str, values)))}")
    errors = problem.extensions.get("errors")
    if isinstance(errors, list):
        for item in errors[:5]:
            err.print(f"  - {escape(str(item))}")
    if problem.instance:
        err.print(f"  [dim]request id: {escape(problem.instance)}[/]")
