"""Policy decision port: one interface, two backends (OPA server and embedded regopy)."""

from gateway.policy.errors import PolicyDeniedError, PolicyUnavailableError
from gateway.policy.port import (
    INGEST_DECISION,
    MALFORMED_DECISION,
    VIEWS_DECISION,
    Obligations,
    PolicyDecision,
    PolicyEngine,
)

__all__ = [
    "INGEST_DECISION",
    "MALFORMED_DECISION",
    "VIEWS_DECISION",
    "Obligations",
    "PolicyDecision",
    "PolicyDeniedError",
    "PolicyEngine",
    "PolicyUnavailableError",
]
