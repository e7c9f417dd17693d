"""What every command needs: consoles, a gateway client from a profile, error → exit code.

Exit codes: 0 success, 1 the gateway failed or refused, 2 usage/profile/source errors.
Errors are printed as one clean message; no traceback (which could carry secrets) is shown.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from connectors.client import GatewayClient
from connectors.errors import GatewayError, GatewayProblem, UsageError
from connectors.profile import Profile
from gateway.contracts import SchemaMismatchError

EXIT_GATEWAY = 1
EXIT_USAGE = 2

ProfileOption = Annotated[
    Path, typer.Option("--profile", "-p", help="Partner profile (TOML).", show_default=False)
]
DatasetOption = Annotated[
    str, typer.Option("--dataset", "-d", help="Dataset (contract) name.", show_default=False)
]
SourceArgument = Annotated[
    Path,
    typer.Argument(
        help="Source file (.csv, .parquet; another kind if the profile sets source.kind).",
        show_default=False,
    ),
]


def consoles() -> tuple[Console, Console]:
    """(stdout, stderr) consoles, created per invocation so tests can capture them."""
    return Console(highlight=False), Console(stderr=True, highlight=False)


def client_for(profile: Profile) -> GatewayClient:
    return GatewayClient.from_profile(profile)


@contextmanager
def exit_on_errors(err: Console) -> Iterator[None]:
    """Turn the connector's exceptions into a message and an exit code."""
    try:
        yield
    except GatewayProblem as exc:
        print_problem(err, exc)
        raise typer.Exit(EXIT_GATEWAY) from None
    except GatewayError as exc:
        err.print(f"[bold red]Gateway error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_GATEWAY) from None
    except SchemaMismatchError as exc:
        err.print(f"[bold red]Mapped data does not fit the contract:[/] {escape(exc.detail)}")
        raise typer.Exit(EXIT_USAGE) from None
    except UsageError as exc:
        err.print(f"[bold red]Error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_USAGE) from None


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
