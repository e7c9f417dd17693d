"""Shared CLI plumbing: settings from the environment, an engine with the schema, clean errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import BeaconError
from gateway.settings import Settings

if TYPE_CHECKING:
    from gateway.auth.service import AccountService

console = Console()
err_console = Console(stderr=True)


def load_settings() -> Settings:
    """Settings from BEACON_* variables (and .env); a bad value is a one-line error."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "settings"
        fail(f"invalid configuration ({where}): {first.get('msg', 'invalid value')}")


def open_engine(settings: Settings) -> Engine:
    """An engine on the metadata database with the schema in place (as the app builds it)."""
    from gateway.migrations import open_database

    return open_database(settings)


def accounts(engine: Engine) -> AccountService:
    """The account service the app builds, for org/client commands (changes are audited)."""
    from gateway.audit.service import AuditLog
    from gateway.auth.service import AccountService

    return AccountService(audit=AuditLog(engine))


CLI_ACTOR = "cli"  # who made a change from the command line (the operator's shell)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def cli_errors() -> Iterator[None]:
    """Turn domain, configuration and database errors into one line and a non-zero exit."""
    try:
        yield
    except BeaconError as exc:
        fail(exc.detail)
    except SQLAlchemyError as exc:
        fail(f"database error: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    except OSError as exc:
        fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))
