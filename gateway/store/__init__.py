"""The shared store: Delta Lake tables per dataset plus the quarantine, local or S3."""
