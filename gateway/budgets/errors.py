"""Budget errors (problem+json): a spent budget, an unknown one, a query DP cannot answer."""

from __future__ import annotations

from gateway.errors import TYPE_BASE, BadRequestError, BeaconError, NotFoundError


class BudgetExhaustedError(BeaconError):
    """The debit would overspend: nothing is answered (carries the ε that is left)."""

    type = TYPE_BASE + "privacy-budget-exhausted"
    title = "Privacy budget exhausted"
    status = 429


class UnknownBudgetError(NotFoundError):
    type = TYPE_BASE + "unknown-budget"
    title = "Unknown privacy budget"


class DpNotAnswerableError(BadRequestError):
    """A DP query over a dimension without a finite public domain, or an unbounded sum."""

    type = TYPE_BASE + "dp-not-answerable"
    title = "Query cannot be answered with differential privacy"
