"""Audit tables: one hash-chained row per event, plus a head row that pins the chain's tail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One audited action. ``detail`` holds metadata only — never uploaded row data."""

    __tablename__ = "audit_event"

    # Assigned by AuditLog under a lock (head.seq + 1), never by the database: the chain needs
    # gap-free numbering so a deleted row shows up as a gap.
    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    kind: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64)
    outcome: str = Field(max_length=32)
    actor_org: str | None = Field(default=None, max_length=64)
    actor_subject: str | None = Field(default=None, max_length=200)
    resource: str | None = Field(default=None, max_length=500)
    request_id: str | None = Field(default=None, max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The newest (seq, hash): deleting the newest rows leaves the head pointing past them."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True, sa_column_kwargs={"autoincrement": False})
    seq: int = Field(default=0)
    hash: str = Field(default=GENESIS_HASH, max_length=64)
