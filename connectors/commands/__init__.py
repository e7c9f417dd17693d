"""One module per ``beacon-connect`` command; ``connectors.cli`` assembles them."""
