"""Audit API shapes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class AuditEventRead(BaseModel):
    seq: int
    occurred_at: datetime
    kind: str
    action: str
    outcome: str
    actor_org: str | None
    actor_subject: str | None
    resource: str | None
    request_id: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_after_seq: int | None  # pass as ``after_seq`` for the next page; None at the end


class AuditVerificationRead(BaseModel):
    ok: bool
    checked: int
    first_bad_seq: int | None
    problem: str | None
