"""Tables of the public channel: the held queue, the per-bucket counters and the daily salts.

Defends against the queue becoming a record of who reported: no column holds an address, a
user agent or any device detail; the rate counters are keyed by a salted hash of a coarse
network prefix, and the salt of a day is deleted once its window of use is over.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow

HELD, RELEASED, DISCARDED = "held", "released", "discarded"
SOURCE_TYPE = "public_report"


class PublicReport(SQLModel, table=True):
    """One report from the public, shaped as an ``incident_reports`` row, held until decided."""

    __tablename__ = "public_report"

    id: str = Field(primary_key=True, max_length=64)  # random, made server-side
    status: str = Field(default=HELD, max_length=16, index=True)
    received_on: date  # the day only: an exact time would line up with other records
    country: str = Field(max_length=2)
    admin1: str | None = Field(default=None, max_length=6)
    exploitation_type: str = Field(max_length=32)
    sector: str | None = Field(default=None, max_length=32)
    victim_count: int = Field(default=1)
    occurred_on: date | None = None
    source_type: str = Field(default=SOURCE_TYPE, max_length=32)
    narrative: str | None = None  # scrubbed; cleared when the report is discarded
    scrub_removed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON))
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=200)
    batch_id: str | None = Field(default=None, max_length=36)


class PublicRateCounter(SQLModel, table=True):
    """Submissions per coarse client bucket per window (shared by every replica)."""

    __tablename__ = "public_rate_counter"

    bucket: str = Field(primary_key=True, max_length=64)  # HMAC of the network prefix
    window_no: int = Field(primary_key=True)  # epoch seconds // window length
    hits: int = Field(default=0)


class PublicSalt(SQLModel, table=True):
    """The day's random salt for bucket hashes; rows older than yesterday are deleted."""

    __tablename__ = "public_salt"

    day: date = Field(primary_key=True)
    salt: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
