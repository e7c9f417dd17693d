"""API shapes of the public channel: the app's receipt and governance's view of the queue."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


class PublicReceipt(BaseModel):
    """What a reporter gets back: no id unless they asked for one (``want_reference``)."""

    status: str = "received"
    reference: str | None = None


class PublicReportRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    received_on: date
    country: str
    admin1: str | None
    exploitation_type: str
    sector: str | None
    victim_count: int
    occurred_on: date | None
    source_type: str
    narrative: str | None
    scrub_removed: dict[str, int]
    decided_at: datetime | None
    decided_by: str | None
    batch_id: str | None


class PublicReportList(BaseModel):
    reports: list[PublicReportRead]
