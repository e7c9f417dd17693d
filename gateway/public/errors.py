"""Errors of the public channel (problem+json; the page renders them as an error summary)."""

from __future__ import annotations

from typing import Any

from gateway.errors import TYPE_BASE, BadRequestError, BeaconError, ConflictError, NotFoundError


class InvalidReportError(BadRequestError):
    """A submission that can't be accepted; ``fields`` maps each field to a message key."""

    type = TYPE_BASE + "invalid-public-report"
    title = "The report could not be sent"

    def __init__(self, fields: dict[str, str], **extensions: Any) -> None:
        names = ", ".join(sorted(fields))
        super().__init__(f"please check: {names}", fields=fields, **extensions)
        self.fields = fields


class ReportTooLargeError(BeaconError):
    type = TYPE_BASE + "public-report-too-large"
    title = "The report is too long"
    status = 413


class TooManyReportsError(BeaconError):
    """429: this network's budget for the window is spent (``Retry-After`` says for how long)."""

    type = TYPE_BASE + "too-many-public-reports"
    title = "Too many reports from this network"
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"please try again in {retry_after} seconds",
            headers={"Retry-After": str(retry_after)},
            retry_after=retry_after,
        )
        self.retry_after = retry_after


class PublicReportNotFoundError(NotFoundError):
    type = TYPE_BASE + "unknown-public-report"
    title = "Unknown public report"


class PublicReportDecidedError(ConflictError):
    type = TYPE_BASE + "public-report-decided"
    title = "Public report already decided"


class PublicChannelClosedError(BeaconError):
    type = TYPE_BASE + "public-channel-closed"
    title = "The public reporting channel is closed"
    status = 404


class PublicReportRejectedError(ConflictError):
    type = TYPE_BASE + "public-report-rejected"
    title = "Public report rejected by the contract"
