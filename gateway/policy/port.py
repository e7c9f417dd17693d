"""The policy decision port: one interface, two backends (OPA server and embedded regopy).

Defends against fail-open: ``decide`` raises ``PolicyUnavailableError`` when the engine errors
or cannot be reached, or answers no decision or a malformed one (see
``contract.Decision.from_result``), and never returns an allow it did not get. Each decision
names the revision of the policy and data it was made with: SHA-256 over the non-test Rego
modules and the base data document, computed the same way by both backends so the same files
give the same revision.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any, Protocol, runtime_checkable

from gateway.policy.contract import (
    Decision,
    DominanceObligation,
    DpObligation,
    EmbargoObligation,
    Mode,
    Obligations,
    PolicyDraft,
    PolicyInput,
    Resource,
    Subject,
)

VIEWS_DECISION = "beacon/views/decision"
INGEST_DECISION = "beacon/ingest/decision"
GRANTS_PATH = ("beacon", "grants")

__all__ = [
    "GRANTS_PATH",
    "INGEST_DECISION",
    "VIEWS_DECISION",
    "Decision",
    "DominanceObligation",
    "DpObligation",
    "EmbargoObligation",
    "Mode",
    "Obligations",
    "PolicyDraft",
    "PolicyEngine",
    "PolicyInput",
    "Resource",
    "Subject",
    "check_decision_path",
    "input_document",
    "policy_revision",
]

_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")


def check_decision_path(path: str) -> str:
    """Reject anything but ``a/b/rule`` paths (they end up in URLs and entrypoints)."""
    if not _PATH_RE.match(path):
        raise ValueError(f"invalid policy decision path: {path!r}")
    return path


def input_document(input: PolicyInput | dict[str, Any]) -> dict[str, Any]:
    """The JSON ``input``; a raw mapping is passed as is (conformance corpus, probes)."""
    if isinstance(input, PolicyInput):
        return input.document()
    doc: dict[str, Any] = json.loads(json.dumps(input, allow_nan=False))
    return doc


def policy_revision(modules: Iterable[str], data: Any) -> str:
    """SHA-256 over the Rego module texts (order-free) and the canonical base data document."""
    digest = hashlib.sha256()
    for module_hash in sorted(hashlib.sha256(m.encode()).hexdigest() for m in modules):
        digest.update(module_hash.encode())
    digest.update(json.dumps(data, sort_keys=True, separators=(",", ":")).encode())
    return digest.hexdigest()


@runtime_checkable
class PolicyEngine(Protocol):
    """A policy decision point. ``decide`` raises ``PolicyUnavailableError``, never fails open.

    ``draft`` evaluates a proposed change (grants and/or modules) instead of the live policy,
    without changing what other requests see. Backends do not audit; the feature that acts on
    a decision records it in its own event.
    """

    name: str

    def decide(
        self, path: str, input: PolicyInput | dict[str, Any], *, draft: PolicyDraft | None = None
    ) -> Decision: ...

    def revision(self) -> str: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...
