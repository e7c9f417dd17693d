"""Provider of the audit log (read side for the audit router; features append via services)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from gateway.audit.service import AuditLog
from gateway.providers import Key, provided

AUDIT_LOG: Key[AuditLog] = Key("audit.log")


def get_audit_log(request: Request) -> AuditLog:
    return provided(request, AUDIT_LOG)


AuditLogDep = Annotated[AuditLog, Depends(get_audit_log)]
