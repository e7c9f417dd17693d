"""A test-only event kind for exercising the chain itself (real events live in the features)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from gateway.audit.events import AuditRecord, Outcome


class Probe(AuditRecord):
    kind: ClassVar[str] = "test.probe"
    action: str = "probe"
    outcome: Outcome = Outcome.SUCCESS
    i: int | None = None
    dims: list[str] | None = None
    at: datetime | None = None
    n: float | None = None
    ids: tuple[str, ...] | None = None

    def detail(self) -> dict[str, Any]:
        return {k: v for k, v in super().detail().items() if v is not None}


class ViewProbe(Probe):
    kind: ClassVar[str] = "view.query"


class UploadProbe(Probe):
    kind: ClassVar[str] = "batch.upload"


class TokenProbe(Probe):
    kind: ClassVar[str] = "token.issue"
