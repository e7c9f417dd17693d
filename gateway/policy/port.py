"""The policy decision port: what every backend returns, and how raw results are validated.

Defends against fail-open on odd engine answers: anything that is not a well-formed decision
(``{}`` from OPA when a policy is missing, wrong types, ``allow: true`` without obligations)
becomes a deny with reason ``malformed_decision``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

VIEWS_DECISION = "beacon/views/decision"
INGEST_DECISION = "beacon/ingest/decision"
MALFORMED_DECISION = "malformed_decision"

_PATH_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)*$")


class _Malformed(ValueError):
    pass


def check_decision_path(path: str) -> str:
    """Reject anything but ``a/b/rule`` paths (they end up in URLs and entrypoints)."""
    if not _PATH_RE.match(path):
        raise ValueError(f"invalid policy decision path: {path!r}")
    return path


@dataclass(frozen=True)
class Obligations:
    """What the gateway must enforce on an allowed request."""

    min_k: int
    columns: tuple[str, ...]
    suppressed_columns: tuple[str, ...]
    row_filter: dict[str, tuple[str, ...]]
    geo_resolution: str | None
    time_grain: str | None
    dp_epsilon: float | None

    def as_dict(self) -> dict[str, Any]:
        """The policy-side JSON shape (for audit records)."""
        return {
            "min_k": self.min_k,
            "columns": list(self.columns),
            "suppressed_columns": list(self.suppressed_columns),
            "row_filter": {k: list(v) for k, v in self.row_filter.items()},
            "geo_resolution": self.geo_resolution,
            "time_grain": self.time_grain,
            "dp": {"epsilon": self.dp_epsilon},
        }


@dataclass(frozen=True)
class PolicyDecision:
    allow: bool
    reasons: tuple[str, ...]
    obligations: Obligations | None

    @classmethod
    def deny(cls, *reasons: str) -> PolicyDecision:
        return cls(allow=False, reasons=tuple(reasons), obligations=None)

    @classmethod
    def from_result(cls, result: object) -> PolicyDecision:
        """Validate a raw decision document; anything malformed is a deny."""
        try:
            return _parse_decision(result)
        except _Malformed:
            return cls.deny(MALFORMED_DECISION)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"allow": self.allow, "reasons": list(self.reasons)}
        if self.obligations is not None:
            out["obligations"] = self.obligations.as_dict()
        return out


@runtime_checkable
class PolicyEngine(Protocol):
    """A policy decision point. ``decide`` raises ``PolicyUnavailableError``, never fails open."""

    name: str

    def decide(self, path: str, input: dict[str, Any]) -> PolicyDecision: ...

    def ping(self) -> None: ...

    def close(self) -> None: ...


def _parse_decision(result: object) -> PolicyDecision:
    doc = _mapping(result)
    allow = doc.get("allow")
    if not isinstance(allow, bool):
        raise _Malformed("allow")
    reasons = _strings(doc.get("reasons"))
    if not allow:
        return PolicyDecision(allow=False, reasons=reasons, obligations=None)
    return PolicyDecision(
        allow=True, reasons=reasons, obligations=_parse_obligations(doc.get("obligations"))
    )


def _parse_obligations(raw: object) -> Obligations:
    doc = _mapping(raw)
    min_k = doc.get("min_k")
    if isinstance(min_k, float) and min_k.is_integer():
        min_k = int(min_k)
    if not isinstance(min_k, int) or isinstance(min_k, bool) or min_k < 0:
        raise _Malformed("min_k")
    row_filter = _mapping(doc.get("row_filter"))
    dp = _mapping(doc.get("dp"))
    return Obligations(
        min_k=min_k,
        columns=_strings(doc.get("columns")),
        suppressed_columns=_strings(doc.get("suppressed_columns")),
        row_filter={_string(k): _strings(v) for k, v in row_filter.items()},
        geo_resolution=_optional_string(doc, "geo_resolution"),
        time_grain=_optional_string(doc, "time_grain"),
        dp_epsilon=_epsilon(dp),
    )


def _mapping(raw: object) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _Malformed("object expected")
    return raw


def _string(raw: object) -> str:
    if not isinstance(raw, str):
        raise _Malformed("string expected")
    return raw


def _strings(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list | tuple):
        raise _Malformed("array expected")
    return tuple(_string(x) for x in raw)


def _optional_string(doc: Mapping[str, Any], key: str) -> str | None:
    if key not in doc:
        raise _Malformed(key)
    value = doc[key]
    return None if value is None else _string(value)


def _epsilon(dp: Mapping[str, Any]) -> float | None:
    if "epsilon" not in dp:
        raise _Malformed("dp.epsilon")
    value = dp["epsilon"]
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _Malformed("dp.epsilon")
    eps = float(value)
    if not math.isfinite(eps) or eps <= 0:
        raise _Malformed("dp.epsilon")
    return eps
