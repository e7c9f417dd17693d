"""Releases: frozen, checked Delta versions of a dataset — the only thing views read."""
