"""Policy errors: an unavailable engine fails closed (503); a denial is a 403 with reason codes.

Defends against fail-open: any engine error or timeout becomes ``PolicyUnavailableError`` and
the request returns nothing. Denials carry only stable reason codes, never policy internals.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.errors import TYPE_BASE, ForbiddenError, ServiceUnavailableError


class PolicyUnavailableError(ServiceUnavailableError):
    """The policy engine errored, timed out or could not be reached."""

    type = TYPE_BASE + "policy-unavailable"
    title = "Policy engine unavailable"


class PolicyDeniedError(ForbiddenError):
    """The policy engine denied the request; ``reasons`` are stable codes safe to return."""

    type = TYPE_BASE + "policy-denied"
    title = "Denied by policy"

    def __init__(self, reasons: Sequence[str], detail: str | None = None) -> None:
        super().__init__(detail or "The request is not permitted by policy.", reasons=list(reasons))
        self.reasons = tuple(reasons)


class DraftNotSupportedError(ServiceUnavailableError):
    """This backend cannot evaluate the kind of draft asked for (OPA: draft modules)."""

    type = TYPE_BASE + "policy-draft-unsupported"
    title = "Draft not supported by this policy backend"
