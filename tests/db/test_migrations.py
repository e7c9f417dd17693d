"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import gateway.models  # noqa: F401  (registers every table)
from gateway.db import build_engine
from gateway.migrations import upgrade_schema
from gateway.settings import Settings


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= {
        "organisation",
        "oauth_client",
        "ingest_batch",
        "audit_event",
        "audit_head",
        "dataset_release",
        "alembic_version",
    }


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade_schema(engine)  # the app runs it on every start
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0003"


def test_concurrent_starts_migrate_once(settings: Settings) -> None:
    """Several workers/replicas starting on an empty database must not race (both backends)."""
    errors: list[BaseException] = []

    def start() -> None:
        engine = build_engine(settings)
        try:
            upgrade_schema(engine)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    engine = build_engine(settings)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0003"
    engine.dispose()
