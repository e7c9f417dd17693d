"""Partner entitlements (``data.beacon.grants``): the document model and its start-up checks."""
