"""Policy decision port: one interface, two backends (OPA server and embedded regopy)."""

from gateway.policy.errors import PolicyDeniedError, PolicyUnavailableError
from gateway.policy.port import (
    INGEST_DECISION,
    VIEWS_DECISION,
    Decision,
    Obligations,
    PolicyDraft,
    PolicyEngine,
    PolicyInput,
    Resource,
    Subject,
)

__all__ = [
    "INGEST_DECISION",
    "VIEWS_DECISION",
    "Decision",
    "Obligations",
    "PolicyDeniedError",
    "PolicyDraft",
    "PolicyEngine",
    "PolicyInput",
    "PolicyUnavailableError",
    "Resource",
    "Subject",
]
