"""The release record: one row per cut attempt of a dataset (published or refused)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow

STATUSES = ("published", "refused")


class Release(SQLModel, table=True):
    """A frozen Delta version. Counts are of rows/orgs in it, ``added_*`` of what it adds.

    A refused attempt is kept (governance sees why a cut did not publish) but is never read:
    views, ``previous_id`` chains and ``as_of`` only ever use published releases.
    """

    __tablename__ = "dataset_release"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    dataset: str = Field(max_length=64, index=True)
    delta_version: int
    previous_id: str | None = Field(default=None, max_length=36)
    cut_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    cut_by: str = Field(max_length=200)
    row_count: int = Field(default=0)
    org_count: int = Field(default=0)
    added_rows: int = Field(default=0)
    added_orgs: int = Field(default=0)
    status: str = Field(default="published", max_length=16)
