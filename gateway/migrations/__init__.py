"""Alembic migrations for the metadata database (SQLite and PostgreSQL).

Every gateway process runs ``upgrade_schema`` at start-up; a lock makes concurrent starts
(uvicorn workers, replicas) migrate one at a time instead of racing to create the same tables.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from gateway.db import build_engine

if TYPE_CHECKING:
    from alembic.config import Config

    from gateway.settings import Settings

HERE = Path(__file__).resolve().parent
_PG_LOCK_KEY = 0x6265_6163_6F6E  # "beacon": one advisory lock id for schema upgrades


def alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def open_database(settings: Settings) -> Engine:
    """An engine on the metadata database with the schema migrated (app and CLI)."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings)
    upgrade_schema(engine)
    return engine


def upgrade_schema(engine: Engine, revision: str = "head") -> None:
    """Bring the metadata schema to ``revision`` (idempotent; safe on every start)."""
    from alembic import command

    cfg = alembic_config()
    with _sqlite_file_lock(engine), engine.begin() as conn:
        _pg_lock(conn)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def _pg_lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":  # released when the migration transaction ends
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


@contextmanager
def _sqlite_file_lock(engine: Engine) -> Iterator[None]:
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
