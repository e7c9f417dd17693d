"""The query-variety ledger: which distinct record sets each organisation asked of a release."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow


class QueryScope(SQLModel, table=True):
    """One canonical scope (hash of the record sets a query covered) per (org, release).

    Bounds averaging attacks on consistent noise (many differently worded queries over related
    record sets): repeats of a scope are free, new scopes count against
    ``privacy.scope_allowance``. The hash reveals nothing about the records (SHA-256 over
    secret-keyed cell sums).
    """

    __tablename__ = "query_scope"
    __table_args__ = (UniqueConstraint("org", "release_id", "scope_hash"),)

    id: int | None = Field(default=None, primary_key=True)
    org: str = Field(max_length=128)
    release_id: str = Field(max_length=36)
    scope_hash: str = Field(max_length=64)
    first_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
