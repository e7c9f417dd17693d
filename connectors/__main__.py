"""``python -m connectors``: the ``beacon-connect`` command line."""

from connectors.cli import app

app()
