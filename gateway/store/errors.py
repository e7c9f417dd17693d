"""Store errors (the store being down is a 503, never a leak of paths or credentials)."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, ServiceUnavailableError


class StoreUnavailableError(ServiceUnavailableError):
    type = TYPE_BASE + "store-unavailable"
    title = "Data store unavailable"


class InvalidStoreNameError(ValueError):
    """A dataset, org or batch name that is not safe to use as a path segment."""


class StoreWriteError(RuntimeError):
    """A write to the store failed. Carries only the cause's type: delta-rs messages can quote
    row values, and this error ends up in logs."""
