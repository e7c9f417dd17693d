"""Harm-tagged places and categories (``data.beacon.harm``): parsed, checked, kept current."""
