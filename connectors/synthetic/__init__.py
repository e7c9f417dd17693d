"""Synthetic, contract-shaped sample data: partners test a profile, the demo and tests seed from it.

Nothing here describes real people: every value is drawn from seeded generators and public
code lists, with a few planted patterns (hotspots, surges) so analysis has something to find.
"""
