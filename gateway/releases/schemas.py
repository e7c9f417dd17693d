"""Release API shapes: what governance sends and sees, and the smaller view analysts get."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ReleaseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")


class ReleasePublic(BaseModel):
    """For analysts: which releases exist (no counts — they would describe each difference)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    dataset: str
    cut_at: datetime
    previous_id: str | None


class ReleaseRead(ReleasePublic):
    """For governance: the frozen version, who cut it, and what it holds and adds."""

    delta_version: int
    cut_by: str
    row_count: int
    org_count: int
    added_rows: int
    added_orgs: int
    status: Literal["published", "refused"]


class ReleasePublicList(BaseModel):
    releases: list[ReleasePublic]


class ReleaseReadList(BaseModel):
    releases: list[ReleaseRead]
