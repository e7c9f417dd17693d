"""``python -m connectors``: the ``beacon-connect`` command line."""

from connectors.cli import app

if __name__ == "__main__":
    app()
