"""Privacy errors (problem+json): a receipt that does not verify, an unenforceable embargo."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BadRequestError, BeaconError


class ReceiptInvalidError(BadRequestError):
    """The receipt's signature, header, claims or row hash do not check out."""

    type = TYPE_BASE + "receipt-invalid"
    title = "Invalid privacy receipt"


class EmbargoUnenforceableError(BeaconError):
    """An embargo applies but the view's dataset has no date to tell fresh records by."""

    type = TYPE_BASE + "embargo-unenforceable"
    title = "Embargo cannot be enforced"
    status = 500
