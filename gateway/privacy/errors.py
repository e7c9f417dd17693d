"""Privacy errors (problem+json): a receipt that does not verify."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BadRequestError


class ReceiptInvalidError(BadRequestError):
    """The receipt's signature, header, claims or row hash do not check out."""

    type = TYPE_BASE + "receipt-invalid"
    title = "Invalid privacy receipt"
