"""Read the audit trail and check its integrity (scope ``audit:read``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from gateway.audit.deps import AuditLogDep
from gateway.audit.schemas import AuditEventPage, AuditEventRead, AuditVerificationRead
from gateway.deps import Governance

router = APIRouter(prefix="/v1/audit", tags=["audit"])
_MAX_SEQ = 2**63 - 1  # the database's BIGINT: a larger value is a 422, not an overflow (500)


@router.get("/events", response_model=AuditEventPage, summary="Audit events in chain order")
def list_events(
    audit: AuditLogDep,
    _principal: Governance,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after_seq: Annotated[int | None, Query(ge=0, le=_MAX_SEQ)] = None,
    kind: Annotated[str | None, Query(max_length=64, pattern=r"^[a-z][a-z0-9_.]*$")] = None,
) -> AuditEventPage:
    events = audit.list_events(limit=limit, after_seq=after_seq, kind=kind)
    items = [AuditEventRead.model_validate(e, from_attributes=True) for e in events]
    return AuditEventPage(
        items=items, next_after_seq=items[-1].seq if len(items) == limit else None
    )


@router.get("/verify", response_model=AuditVerificationRead, summary="Verify the hash chain")
def verify(audit: AuditLogDep, _principal: Governance) -> AuditVerificationRead:
    result = audit.verify()
    return AuditVerificationRead(
        ok=result.ok,
        checked=result.checked,
        first_bad_seq=result.first_bad_seq,
        problem=result.problem,
    )
