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
