"""Choose the policy backend from settings (``policy.backend``: ``embedded`` or ``opa``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gateway.policy.port import PolicyEngine

if TYPE_CHECKING:
    from gateway.settings import Settings


def build_policy_engine(settings: Settings) -> PolicyEngine:
    policy = settings.policy
    if policy.backend == "opa":
        from gateway.policy.opa import OpaPolicyEngine

        return OpaPolicyEngine(policy.opa_url, timeout_seconds=policy.timeout_seconds)
    if policy.backend == "embedded":
        from gateway.policy.embedded import EmbeddedPolicyEngine

        return EmbeddedPolicyEngine(policy.policy_dir, grants_path=policy.grants_path)
    raise ValueError(f"unknown policy backend: {policy.backend!r}")
