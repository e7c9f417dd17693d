"""Tests for gateway.auth."""
