"""Shared CLI plumbing: settings from the environment, an engine with the schema, clean errors."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from gateway.errors import BeaconError
from gateway.settings import Settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from gateway.auth.service import AccountService

console = Console()
err_console = Console(stderr=True)


# Exit codes (sysexits.h): scripts can tell a bad configuration from a missing database.
EXIT_CONFIG = 78  # EX_CONFIG: a BEACON_* setting is invalid
EXIT_NO_DATABASE = 69  # EX_UNAVAILABLE: the metadata database is missing or unreachable


def load_settings(**overrides: Any) -> Settings:
    """Settings from BEACON_* variables (and .env); a bad value is one line and EXIT_CONFIG."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        fail(describe_settings_error(exc), EXIT_CONFIG)


def describe_settings_error(exc: ValidationError) -> str:
    """One line naming the variable to set and why; never the value (it may be a secret)."""
    errors = exc.errors()
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ())]
    msg = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if not loc:  # a cross-field rule: its message names the variables
        return f"invalid configuration: {msg}{more}"
    env = "BEACON_" + "__".join(loc).upper()
    where = ".".join(loc)
    return f"invalid configuration: {env} ({where}): {msg}; set {env} to a valid value{more}"


def open_engine(settings: Settings) -> Engine:
    """An engine on an EXISTING metadata database, schema upgraded (as the app builds it).

    Administration and verification never create what they act on: a missing SQLite file or an
    unreachable server is one line and EXIT_NO_DATABASE (the gateway creates the database).
    """
    from sqlalchemy.exc import ArgumentError, OperationalError

    from gateway.migrations import open_database
    from gateway.state import PRIVATE_UMASK

    raw = settings.database.url.get_secret_value()
    try:
        url = make_url(raw)
    except ArgumentError:
        fail("invalid configuration: BEACON_DATABASE__URL is not a database URL", EXIT_CONFIG)
    where = url.render_as_string(hide_password=True)
    sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, ":memory:")
    if sqlite_file and not Path(url.database or "").expanduser().is_file():
        fail(
            f"no metadata database at {url.database} ({_DB_HINT}; the demo keeps its "
            "state in var/demo: export BEACON_DATA_DIR=var/demo)",
            EXIT_NO_DATABASE,
        )
    os.umask(PRIVATE_UMASK)  # WAL and lock files the command creates stay private (0600)
    try:
        return open_database(settings)
    except OperationalError as exc:
        reason = str(exc.orig or exc).strip().splitlines()[0][:200]
        fail(f"cannot reach the metadata database {where}: {reason}", EXIT_NO_DATABASE)


_DB_HINT = "set BEACON_DATA_DIR or BEACON_DATABASE__URL; `beacon serve` creates a new one"


@contextmanager
def account_session() -> Iterator[tuple[AccountService, Session]]:
    """The configured database's account service and a session on it (engine disposed after)."""
    from sqlmodel import Session

    engine = open_engine(load_settings())
    try:
        with Session(engine) as session:
            yield accounts(engine), session
    finally:
        engine.dispose()


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
