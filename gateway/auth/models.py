"""Partner organisations and their OAuth2 clients (secrets stored only as scrypt hashes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column
from sqlmodel import Field, SQLModel

from gateway.db import UTCDateTime, utcnow

__all__ = ["OAuthClient", "Organisation", "RateLimitWindow", "UTCDateTime", "utcnow"]


def _aware_column(**kwargs: Any) -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, **kwargs)


class Organisation(SQLModel, table=True):
    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=64, unique=True, index=True)
    name: str = Field(max_length=200)
    sector: str = Field(max_length=32)
    created_at: datetime = _aware_column(nullable=False)


class OAuthClient(SQLModel, table=True):
    __tablename__ = "oauth_client"

    id: int | None = Field(default=None, primary_key=True)
    client_id: str = Field(max_length=100, unique=True, index=True)
    org_id: int = Field(foreign_key="organisation.id", index=True)
    name: str = Field(max_length=200)
    secret_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    disabled: bool = Field(default=False)
    created_at: datetime = _aware_column(nullable=False)
    # Set when the client is disabled: tokens issued up to then stay dead after a re-enable.
    tokens_valid_after: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True)


class RateLimitWindow(SQLModel, table=True):
    """A fixed-window counter shared by every replica: ``hits`` in ``bucket`` since ``start``.

    ``bucket`` names what is counted, e.g. ``token-fail:client:<id>``; ``start`` is the
    window's first second (Unix time). Rows of past windows are deleted as new ones are written.
    """

    __tablename__ = "rate_limit_window"

    bucket: str = Field(max_length=200, primary_key=True)
    start: int = Field(primary_key=True, sa_type=BigInteger)
    hits: int = Field(default=0, nullable=False)
