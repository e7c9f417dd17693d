"""The ingest batch record: one row per (org, idempotency key), the batch's source of truth."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow

STATUSES = ("processing", "committed", "failed")


class IngestBatch(SQLModel, table=True):
    """An upload. ``reasons`` maps ``"<column>:<rule>"`` to a count — never row values."""

    __tablename__ = "ingest_batch"
    __table_args__ = (UniqueConstraint("org", "idempotency_key", name="uq_ingest_batch_org_key"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    org: str = Field(max_length=64, index=True)
    dataset: str = Field(max_length=64, index=True)
    contract_version: str = Field(max_length=32)
    idempotency_key: str = Field(max_length=200)
    body_sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=100)
    body_bytes: int = Field(default=0)
    status: str = Field(default="processing", max_length=16)
    accepted: int = Field(default=0)
    rejected: int = Field(default=0)
    reasons: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    delta_version: int | None = Field(default=None)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    # When the current attempt started; a 'processing' record whose attempt is older than the
    # stale limit may be taken over by a retry (compare-and-set on ``attempt``).
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    attempt: int = Field(default=1)
    committed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)
    uploaded_by: str = Field(max_length=200)
