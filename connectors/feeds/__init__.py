"""Open-source media channel: RSS/Atom feeds to ``open_source_items`` rows (connectors.feeds)."""
