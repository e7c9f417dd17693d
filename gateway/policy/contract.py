"""The typed policy contract: what a backend is asked (``PolicyInput``) and answers (``Decision``).

Defends against fail-open on odd engine answers: a raw result is parsed by strict, frozen models
(``extra="forbid"``: the Rego output is ours), and anything that is not a well-formed decision
(``{}`` from OPA when a policy is missing, wrong types, ``allow: true`` without obligations)
is an engine fault: ``PolicyUnavailableError`` (503), never a deny (a 403 would tell the
client it has no grant when the engine is broken) and never an allow. Extending the obligations
(for instance ``min_contributors`` or a DP budget) is one new field on ``Obligations`` plus the
Rego that emits it; give it a default only when "absent" is safe.
"""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import structlog
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from gateway.policy.errors import PolicyUnavailableError

log = structlog.get_logger(__name__)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _rfc3339_utc(value: datetime) -> str:
    """One time format for ``input.now``: RFC 3339 in UTC with a ``Z`` suffix."""
    return value.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


UtcTimestamp = Annotated[AwareDatetime, PlainSerializer(_rfc3339_utc, return_type=str)]


class Subject(_Frozen):
    org: str
    sector: str
    roles: tuple[str, ...] = ()
    purpose: str | None = None


class Resource(_Frozen):
    dataset: str | None = None
    view: str | None = None
    dims: tuple[str, ...] = ()
    filters: dict[str, tuple[str, ...]] = Field(default_factory=dict)


class PolicyInput(_Frozen):
    """``input`` of every decision (DESIGN §3); ``now`` is always RFC 3339 UTC ``...Z``."""

    subject: Subject
    action: str
    resource: Resource
    context: dict[str, Any] = Field(default_factory=dict)
    now: UtcTimestamp = Field(default_factory=lambda: datetime.now(UTC))

    def document(self) -> dict[str, Any]:
        """The JSON document a backend evaluates (identical for embedded and OPA)."""
        doc: dict[str, Any] = self.model_dump(mode="json")
        doc["subject"]["roles"] = sorted(doc["subject"]["roles"])
        return doc


def _whole_number(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number is required")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("a whole number is required")
        return int(value)
    return value


def _optional_days(value: object) -> object:
    if value is None:
        return None
    days = _whole_number(value)
    if not isinstance(days, int) or days < 1:
        raise ValueError("days must be a positive whole number")
    return days


def _epsilon(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number is required")
    eps = float(value)
    if not math.isfinite(eps) or eps <= 0:
        raise ValueError("epsilon must be finite and positive")
    return eps


Mode = Literal["cellkey", "suppression", "dp"]
"""How an answer is protected: cell-key noise (default), suppression (+ audit), or DP."""


class DpObligation(_Strict):
    """DP parameters: ε per query, the total ε per (org, purpose, dataset, release), a purpose."""

    epsilon: Annotated[float | None, BeforeValidator(_epsilon)]
    budget: Annotated[float | None, BeforeValidator(_epsilon)]
    purpose: Annotated[str, Field(min_length=1)]


def _share(value: object) -> object:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number is required")
    share = float(value)
    if not math.isfinite(share) or not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    return share


class DominanceObligation(_Strict):
    """The (n, k) rule: the top ``n`` contributions may hold at most ``share`` of a sum."""

    n: Annotated[int, BeforeValidator(_whole_number), Field(ge=1)]
    share: Annotated[float, BeforeValidator(_share)]


class EmbargoObligation(_Strict):
    """Records younger than ``days`` are held back from queries touching ``dims`` (fine cells)."""

    days: Annotated[int | None, BeforeValidator(_optional_days)]
    dims: tuple[str, ...]


class Obligations(_Strict):
    """What the gateway must enforce on an allowed request (every key required, none extra)."""

    min_k: Annotated[int, BeforeValidator(_whole_number), Field(ge=0)]
    columns: tuple[str, ...]
    suppressed_columns: tuple[str, ...]
    row_filter: dict[str, tuple[str, ...]]
    geo_resolution: str | None
    time_grain: str | None
    mode: Mode
    min_contributors: Annotated[int, BeforeValidator(_whole_number), Field(ge=1)]
    dominance: DominanceObligation
    dp: DpObligation
    embargo: EmbargoObligation

    @property
    def dp_epsilon(self) -> float | None:
        return self.dp.epsilon

    def as_dict(self) -> dict[str, Any]:
        """The policy-side JSON shape."""
        out: dict[str, Any] = self.model_dump(mode="json")
        return out

    def summary(self) -> dict[str, Any]:
        """What an audit event keeps of the obligations: names and levels, never values."""
        return {
            "min_k": self.min_k,
            "columns": len(self.columns),
            "suppressed_columns": list(self.suppressed_columns),
            "row_filter": sorted(self.row_filter),
            "geo_resolution": self.geo_resolution,
            "time_grain": self.time_grain,
            "mode": self.mode,
            "min_contributors": self.min_contributors,
            "dominance": {"n": self.dominance.n, "share": self.dominance.share},
            "dp_epsilon": self.dp.epsilon,
            "dp_purpose": self.dp.purpose,
            "embargo_days": self.embargo.days,
        }


class Decision(_Frozen):
    """One answer of the policy engine, with the id and policy revision it was made under."""

    allow: bool
    reasons: tuple[str, ...]
    obligations: Obligations | None
    decision_id: uuid.UUID = Field(default_factory=uuid.uuid4)
    policy_revision: str | None = None

    @classmethod
    def deny(cls, *reasons: str, revision: str | None = None) -> Decision:
        return cls(allow=False, reasons=tuple(reasons), obligations=None, policy_revision=revision)

    @classmethod
    def from_result(cls, result: object, *, revision: str | None = None) -> Decision:
        """Validate a raw decision document; ``None`` (undefined) or anything malformed is a fault.

        Raises ``PolicyUnavailableError``: a missing policy or entrypoint, a malformed document
        or an allow without well-formed obligations is the engine's fault, not a denial.
        """
        if result is None:
            log.error("policy.decision.undefined", policy_revision=revision)
            raise PolicyUnavailableError("The policy engine returned no decision.")
        try:
            raw = _RawDecision.model_validate_json(json.dumps(result, allow_nan=False))
            obligations = None
            if raw.allow:
                obligations = Obligations.model_validate_json(
                    json.dumps(raw.obligations, allow_nan=False)
                )
        except (ValidationError, TypeError, ValueError) as exc:
            # Only the error kind is logged: the document is policy output, kept out of logs.
            log.error(
                "policy.decision.malformed", error=type(exc).__name__, policy_revision=revision
            )
            raise PolicyUnavailableError(
                "The policy engine returned a malformed decision."
            ) from exc
        return cls(
            allow=raw.allow, reasons=raw.reasons, obligations=obligations, policy_revision=revision
        )

    def verdict(self) -> tuple[bool, tuple[str, ...], Obligations | None]:
        """What the policy said, without this decision's id (equal across backends)."""
        return self.allow, self.reasons, self.obligations

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"allow": self.allow, "reasons": list(self.reasons)}
        if self.obligations is not None:
            out["obligations"] = self.obligations.as_dict()
        return out


class _RawDecision(_Strict):
    allow: bool
    reasons: tuple[str, ...]
    obligations: Any = None  # validated only when allowed (a deny drops whatever it carries)


class PolicyDraft(_Frozen):
    """A proposed change evaluated without making it live (governance preview; never audited).

    ``grants`` replaces ``data.beacon.grants``; ``modules`` maps a policy file path (relative to
    the policy folder, e.g. ``beacon/views/policy.rego``) to its proposed Rego text, replacing
    the live file of that path or adding one.
    """

    grants: dict[str, Any] | None = None
    modules: dict[str, str] | None = None
