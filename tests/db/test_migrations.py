"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import gateway.models  # noqa: F401  (registers every table)
from gateway.migrations import upgrade_schema


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
        "alembic_version",
    }


def test_upgrade_is_idempotent(engine: Engine) -> None:
    upgrade_schema(engine)  # the app runs it on every start
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == "0001"
