"""Ingest errors: each bad upload gets a precise problem+json and leaves nothing written."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BadRequestError, BeaconError, ConflictError, NotFoundError


class IdempotencyKeyError(BadRequestError):
    type = TYPE_BASE + "idempotency-key"
    title = "Missing or invalid Idempotency-Key header"


class UnsupportedMediaTypeError(BeaconError):
    type = TYPE_BASE + "unsupported-media-type"
    title = "Unsupported media type"
    status = 415


class PayloadTooLargeError(BeaconError):
    type = TYPE_BASE + "payload-too-large"
    title = "Upload too large"
    status = 413


class MalformedUploadError(BadRequestError):
    """The body cannot be parsed as the declared format (or is empty)."""

    type = TYPE_BASE + "malformed-upload"
    title = "Malformed upload"


class IdempotencyConflictError(ConflictError):
    """The key was already used for a different body."""

    type = TYPE_BASE + "idempotency-conflict"
    title = "Idempotency key reused with a different body"


class BatchInProgressError(ConflictError):
    """Another request with the same key is still being processed."""

    type = TYPE_BASE + "batch-in-progress"
    title = "Batch with this idempotency key is still in progress"

    def __init__(self, detail: str, *, retry_after: int, batch_id: str | None = None) -> None:
        # Retry-After: the seconds until the record counts as stale and a retry takes it over.
        extensions = {"batch_id": batch_id} if batch_id else {}
        super().__init__(detail, headers={"Retry-After": str(retry_after)}, **extensions)


class BatchNotFoundError(NotFoundError):
    """Also what another org sees for a batch it does not own (existence is not revealed)."""

    type = TYPE_BASE + "batch-not-found"
    title = "Batch not found"
