"""View errors (problem+json): unknown view/dimension, bad query, policy denial."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BadRequestError, BeaconError, NotFoundError


class UnknownViewError(NotFoundError):
    type = TYPE_BASE + "unknown-view"
    title = "Unknown view"


class UnknownDimensionError(BadRequestError):
    type = TYPE_BASE + "unknown-dimension"
    title = "Unknown dimension"


class InvalidViewQueryError(BadRequestError):
    type = TYPE_BASE + "invalid-view-query"
    title = "Invalid view query"


class InvalidViewDefinitionError(BeaconError):
    """A definition file is malformed or unsafe; raised at start-up, never per request."""

    type = TYPE_BASE + "invalid-view-definition"
    title = "Invalid view definition"
    status = 500


class RecordKeysMissingError(BeaconError):
    """Rows without ``_record_key``/``_org`` (written before those columns): fail closed."""

    type = TYPE_BASE + "record-keys-missing"
    title = "Release has records without record keys"
    status = 409


class QueryAllowanceExhaustedError(BeaconError):
    """The caller's organisation asked for too many distinct record sets of this release."""

    type = TYPE_BASE + "query-allowance-exhausted"
    title = "Query allowance exhausted"
    status = 429
