"""Release errors (problem+json): nothing to release, too small a difference, unknown ids."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, ConflictError, NotFoundError


class NoReleaseError(ConflictError):
    type = TYPE_BASE + "no-release"
    title = "No release published"


class UnknownReleaseError(NotFoundError):
    type = TYPE_BASE + "unknown-release"
    title = "Unknown release"


class ReleaseUnchangedError(ConflictError):
    type = TYPE_BASE + "release-unchanged"
    title = "Nothing new to release"


class ReleaseTooSmallError(ConflictError):
    type = TYPE_BASE + "release-too-small"
    title = "Release difference too small"
