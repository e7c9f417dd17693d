"""Hash-chained, append-only audit trail (defends against silent tampering with the record)."""
