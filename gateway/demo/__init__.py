"""Demo material: synthetic datasets shaped on the contracts (no real person in them)."""
