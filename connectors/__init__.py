"""Beacon partner-side connector: map, protect, validate and upload data to the gateway.

Runs on partner premises. Direct identifiers are dropped or pseudonymised here, before any
byte leaves the partner's machine.
"""
