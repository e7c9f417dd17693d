"""Every policy decision is audited here, once, whoever asked and whichever backend answered.

Defends against unaccountable sharing: a decision that is not on the hash-chained trail did not
happen. Detail holds names, codes and counts only (never filter values or row data).
"""

from __future__ import annotations

from typing import Any

import structlog

from gateway.audit.service import AuditLog
from gateway.policy.errors import PolicyUnavailableError
from gateway.policy.port import PolicyDecision, PolicyEngine


class AuditedPolicyEngine:
    """A `PolicyEngine` that appends a ``policy.decision`` audit event for each decision."""

    def __init__(self, inner: PolicyEngine, audit: AuditLog) -> None:
        self._inner = inner
        self._audit = audit
        self.name = inner.name

    def decide(self, path: str, input: dict[str, Any]) -> PolicyDecision:
        try:
            decision = self._inner.decide(path, input)
        except PolicyUnavailableError:
            self._record(path, input, outcome="error", detail={"error": "policy_unavailable"})
            raise
        detail: dict[str, Any] = {"reasons": list(decision.reasons)}
        if decision.obligations is not None:
            detail["min_k"] = decision.obligations.min_k
        self._record(path, input, outcome="allow" if decision.allow else "deny", detail=detail)
        return decision

    def ping(self) -> None:
        self._inner.ping()

    def close(self) -> None:
        self._inner.close()

    def _record(
        self, path: str, input: dict[str, Any], *, outcome: str, detail: dict[str, Any]
    ) -> None:
        subject = _mapping(input.get("subject"))
        resource = _mapping(input.get("resource"))
        target = resource.get("view") or resource.get("dataset") or ""
        filters = _mapping(resource.get("filters"))
        self._audit.record(
            kind="policy.decision",
            action=str(input.get("action", "")),
            outcome=outcome,
            actor_org=str(subject.get("org", "")) or None,
            resource=f"{path}:{target}",
            request_id=structlog.contextvars.get_contextvars().get("request_id"),
            detail={
                "backend": self.name,
                "dims": list(resource.get("dims") or []),
                "filter_keys": sorted(filters),
                **detail,
            },
        )


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
