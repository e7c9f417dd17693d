"""Named locks held by the metadata database until the current transaction ends.

Defends against two replicas (or workers) doing the same check-then-write at once, e.g. two
batches committing the same new entity key, or two release cuts of one dataset both building
on the same previous release. Every replica shares the metadata database, so a lock taken
there serialises them all: PostgreSQL ``pg_advisory_xact_lock`` on a 63-bit hash of the name;
SQLite (one host) an early write, which takes the database-wide write lock. The lock is
released by the session's next commit or rollback, whatever happens in between.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import text
from sqlmodel import Session


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for ``name`` (PostgreSQL advisory locks take a bigint)."""
    digest = hashlib.sha256(f"beacon.lock:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def hold_until_commit(session: Session, name: str) -> None:
    """Block until this transaction owns the lock ``name``; it ends with the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(name)})
        return
    # A write statement makes SQLite take its write lock now and keep it until commit; it
    # changes nothing (no row matches).
    session.execute(text("UPDATE alembic_version SET version_num = version_num WHERE 1 = 0"))
