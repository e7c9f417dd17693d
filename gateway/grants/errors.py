"""Grants errors: a grants file that is malformed or disagrees with the views (start-up only)."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BeaconError


class InvalidGrantsError(BeaconError):
    """The grants data is malformed or names views, datasets or dimensions that do not exist."""

    type = TYPE_BASE + "invalid-grants"
    title = "Invalid grants"
    status = 500
