"""Views: aggregated, de-identified, policy-gated queries over the shared store."""
