"""Disclosure-control primitives (cell-key noise, release rules, DP, signed receipts): pure."""
