"""Harm data errors: a harm file that is malformed or names unknown datasets or columns."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BeaconError


class InvalidHarmDataError(BeaconError):
    """The harm data is malformed, or names a dataset, column or value no contract has."""

    type = TYPE_BASE + "invalid-harm-data"
    title = "Invalid harm data"
    status = 500
