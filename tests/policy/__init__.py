"""Tests for the policy engine (Rego, both backends, the decision port)."""
