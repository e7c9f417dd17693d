"""Beacon gateway: secure multi-party data sharing for counter-trafficking intelligence."""

__version__ = "0.1.0"
