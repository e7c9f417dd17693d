"""An upload on its way through the pipeline: the spooled body, the new record, the result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

from gateway.ingest.models import IngestBatch

if TYPE_CHECKING:
    from gateway.auth.principal import Principal
    from gateway.contracts.model import Contract


@dataclass(frozen=True)
class Upload:
    """A spooled, hashed request body and what the headers said about it."""

    dataset: str
    idempotency_key: str
    content_type: str
    body: IO[bytes]
    sha256: str
    size: int


@dataclass(frozen=True)
class IngestResult:
    batch: IngestBatch
    replayed: bool


def new_record(
    principal: Principal,
    upload: Upload,
    contract: Contract,
    counts: tuple[int, int, dict[str, int]],
) -> IngestBatch:
    accepted, rejected, reasons = counts
    return IngestBatch(
        org=principal.org,
        dataset=upload.dataset,
        contract_version=contract.version,
        idempotency_key=upload.idempotency_key,
        body_sha256=upload.sha256,
        content_type=upload.content_type,
        body_bytes=upload.size,
        accepted=accepted,
        rejected=rejected,
        reasons=reasons,
        uploaded_by=principal.subject,
    )
