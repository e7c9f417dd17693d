"""Connector exception tree: profile/usage errors (exit 2) versus gateway errors (exit 1).

Messages never carry secrets or row values: they are printed to partner terminals and logs.
"""

from __future__ import annotations

from typing import Any

import httpx


class ConnectorError(Exception):
    """Base of every error the connector raises on purpose."""


class UsageError(ConnectorError):
    """Bad input on the partner side: profile, source file, mapping (CLI exit code 2)."""


class ProfileError(UsageError):
    """The profile TOML is unreadable, malformed or refers to something that does not exist."""


class SourceError(UsageError):
    """A source file cannot be read (missing, unsupported format, malformed)."""


class MappingError(UsageError):
    """The profile's mapping does not fit the source table or the contract."""


class ProtectionError(UsageError):
    """Sending the prepared table would leak a direct identifier or free text in clear."""


class GatewayError(ConnectorError):
    """The gateway could not be reached or refused the request (CLI exit code 1)."""


class GatewayUnavailableError(GatewayError):
    """Connection errors, 5xx or 429 persisted after the bounded number of retries."""


class GatewayProblem(GatewayError):
    """An RFC 9457 problem returned by the gateway (or a non-problem error body, normalised)."""

    def __init__(
        self,
        *,
        status: int,
        title: str,
        detail: str | None = None,
        type: str = "about:blank",
        instance: str | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}" + (f": {detail}" if detail else ""))
        self.status = status
        self.title = title
        self.detail = detail
        self.type = type
        self.instance = instance
        self.extensions = dict(extensions or {})

    @property
    def retryable(self) -> bool:
        return self.status == 429 or self.status >= 500

    @classmethod
    def from_response(cls, response: httpx.Response) -> GatewayProblem:
        """Build from a problem+json body; fall back to OAuth2 ``error`` bodies and plain text."""
        try:
            body = response.json()
        except ValueError:
            body = None
        reason = response.reason_phrase or "HTTP error"
        if not isinstance(body, dict):
            return cls(status=response.status_code, title=reason)
        if "title" in body or "type" in body:
            known = {"type", "title", "status", "detail", "instance"}
            return cls(
                status=int(body.get("status") or response.status_code),
                title=str(body.get("title") or reason),
                detail=_opt_str(body.get("detail")),
                type=str(body.get("type") or "about:blank"),
                instance=_opt_str(body.get("instance")),
                extensions={k: v for k, v in body.items() if k not in known},
            )
        if "error" in body:  # RFC 6749 token endpoint error
            return cls(
                status=response.status_code,
                title=str(body["error"]),
                detail=_opt_str(body.get("error_description")),
            )
        return cls(status=response.status_code, title=reason)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)
