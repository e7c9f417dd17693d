"""Response bodies of the ingest endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class BatchLinks(BaseModel):
    self: str
    rejections: str


class BatchRead(BaseModel):
    batch_id: str
    dataset: str
    contract_version: str
    status: str
    accepted: int
    rejected: int
    reasons: dict[str, int]
    delta_version: int | None = None
    created_at: datetime
    committed_at: datetime | None = None
    links: BatchLinks


class DatasetRead(BaseModel):
    dataset: str
    title: str
    contract_version: str
    links: dict[str, str]


class DatasetList(BaseModel):
    datasets: list[DatasetRead]
