"""The domain error tree: ``BeaconError`` and its generic subclasses (no web framework here).

Each error knows its RFC 9457 ``type``, ``title`` and ``status``; ``gateway.problems`` renders
them as problem+json. Kept free of FastAPI so the partner-side contract library can raise them.
"""

from __future__ import annotations

from typing import Any, ClassVar

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://beacon.example/problems/"


class BeaconError(Exception):
    """Base of every domain error; subclasses set ``type``, ``title``, ``status``."""

    type: ClassVar[str] = TYPE_BASE + "internal"
    title: ClassVar[str] = "Internal error"
    status: ClassVar[int] = 500
    headers: dict[str, str] = {}  # response headers; an instance may add its own (Retry-After)

    def __init__(
        self, detail: str | None = None, *, headers: dict[str, str] | None = None, **extensions: Any
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.extensions = extensions
        if headers:
            self.headers = {**type(self).headers, **headers}


class NotFoundError(BeaconError):
    type = TYPE_BASE + "not-found"
    title = "Not found"
    status = 404


class ConflictError(BeaconError):
    type = TYPE_BASE + "conflict"
    title = "Conflict"
    status = 409


class BadRequestError(BeaconError):
    type = TYPE_BASE + "bad-request"
    title = "Bad request"
    status = 400


class UnauthenticatedError(BeaconError):
    type = TYPE_BASE + "unauthenticated"
    title = "Authentication required"
    status = 401
    headers = {"WWW-Authenticate": 'Bearer realm="beacon"'}


class ForbiddenError(BeaconError):
    type = TYPE_BASE + "forbidden"
    title = "Forbidden"
    status = 403


class ServiceUnavailableError(BeaconError):
    type = TYPE_BASE + "service-unavailable"
    title = "Service unavailable"
    status = 503
