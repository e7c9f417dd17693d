"""Typed audit events: one class per kind, one ``Outcome`` vocabulary for every kind.

Defends against an audit trail that drifts into a second copy of the data: an event carries
identifiers, counts, reason codes and decision summaries only; its fields are declared here, so
nothing else can be added on the way. A feature builds its event and appends it in the same
database transaction that commits its state (``AuditLog.append(session, event)``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from gateway.policy.contract import Decision


class Outcome(StrEnum):
    """How an audited action ended (one vocabulary across kinds)."""

    ALLOW = "allow"  # a read the policy allowed and that was answered
    DENY = "deny"  # refused by policy (the decision's reasons are in the event)
    ACCEPTED = "accepted"  # an upload committed with at least one row
    REJECTED = "rejected"  # an upload whose every row was quarantined
    REPLAYED = "replayed"  # an idempotent repeat answered from the earlier result
    SUCCESS = "success"  # an administrative change or token issue that took effect
    FAILURE = "failure"  # refused for a client error (bad credentials, bad request)
    ERROR = "error"  # refused before any effect: validation, limits, engine or store down


_COMMON = frozenset({"action", "outcome", "actor_org", "actor_subject", "resource", "request_id"})


class AuditRecord(BaseModel):
    """Base of every event: the chained columns; subclasses add their ``detail`` fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: ClassVar[str]
    action: str
    outcome: Outcome
    actor_org: str | None = None
    actor_subject: str | None = None
    resource: str | None = None
    request_id: str | None = None

    def detail(self) -> dict[str, Any]:
        out: dict[str, Any] = self.model_dump(mode="json", exclude=set(_COMMON))
        return out


class DecisionFacts(BaseModel):
    """What an event keeps of a policy decision (never the input's filter values)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    decision_id: str
    policy_revision: str | None
    backend: str
    allow: bool
    reasons: list[str]
    obligations: dict[str, Any] | None = None

    @classmethod
    def of(cls, decision: Decision, *, backend: str) -> DecisionFacts:
        return cls(
            decision_id=str(decision.decision_id),
            policy_revision=decision.policy_revision,
            backend=backend,
            allow=decision.allow,
            reasons=list(decision.reasons),
            obligations=decision.obligations.summary() if decision.obligations else None,
        )


class TokenIssued(AuditRecord):
    kind: ClassVar[str] = "token.issue"
    action: str = "issue"
    resource: str | None = "oauth/token"
    grant_type: str
    scope: str | None = None
    requested_scope: str | None = None
    error: str | None = None


class BatchUploaded(AuditRecord):
    kind: ClassVar[str] = "batch.upload"
    action: str = "upload"
    dataset: str
    bytes: int | None = None
    content_type: str | None = None
    body_sha256: str | None = None
    batch_id: str | None = None
    contract_version: str | None = None
    accepted: int | None = None
    rejected: int | None = None
    reasons: dict[str, int] | None = None
    delta_version: int | None = None
    recovered: bool = False
    error: str | None = None
    status: int | None = None
    decision: DecisionFacts | None = None


class ViewQueried(AuditRecord):
    kind: ClassVar[str] = "view.query"
    action: str = "view.query"
    view: str
    dims: list[str]
    filters: list[str]  # filter names only, never their values
    reasons: list[str]
    k: int | None = None
    rows: int | None = None
    suppressed: int | None = None
    release: str | None = None  # the release id the answer was computed from
    decision: DecisionFacts | None = None
    epsilon_spent: float | None = None  # DP mode: the ε this answer debited


class ReleaseCut(AuditRecord):
    """A release cut: published (``allow``) or refused by the difference check (``deny``)."""

    kind: ClassVar[str] = "release.cut"
    action: str = "release.cut"
    dataset: str
    release_id: str | None
    delta_version: int | None
    previous_id: str | None
    rows: int
    orgs: int
    added_rows: int
    added_orgs: int
    added_rows_without_largest: int = 0  # added entities not from the org adding most
    reason: str | None


class BudgetRenewed(AuditRecord):
    """Governance added ε to a privacy budget (never a value of the data it protects)."""

    kind: ClassVar[str] = "budget.renew"
    action: str = "budget.renew"
    org: str
    purpose: str
    dataset: str
    release_id: str
    epsilon_added: float
    epsilon_total: float
    epsilon_spent: float


class ViewsListed(AuditRecord):
    kind: ClassVar[str] = "view.list"
    action: str = "view.list"
    resource: str | None = "views"
    listed: list[str]
    considered: int
    decisions: list[str]  # decision ids, one per view asked about
    policy_revision: str | None = None
    backend: str | None = None


class OrgChanged(AuditRecord):
    kind: ClassVar[str] = "org.change"
    org: str
    sector: str | None = None


class ClientChanged(AuditRecord):
    """``action``: create, disable, enable or rotate_secret (never the secret itself)."""

    kind: ClassVar[str] = "client.change"
    client_id: str
    org: str | None = None
    roles: list[str] | None = None


class PublicReportReceived(AuditRecord):
    """A report from the public entered the held queue (no id: the event's time is exact)."""

    kind: ClassVar[str] = "public_report.submit"
    action: str = "submit"
    resource: str | None = "public_report"
    removed: dict[str, int]  # what the scrubber took out, by kind (counts only)


class PublicReportDecided(AuditRecord):
    """Governance released a held public report into incident_reports, or discarded it."""

    kind: ClassVar[str] = "public_report.decide"
    report_id: str
    batch_id: str | None = None
