"""`beacon` command line: server, demo and administration (one module per command group)."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, help="Beacon gateway: serve, demo and administer.")


def _register() -> None:
    from gateway.cli import (
        audit,
        budgets,
        clients,
        demo,
        orgs,
        privacy,
        receipts,
        releases,
        schemas,
        serve,
    )  # fmt: skip

    app.add_typer(orgs.app, name="orgs", help="Partner organisations.")
    app.add_typer(clients.app, name="clients", help="OAuth2 clients of an organisation.")
    app.add_typer(audit.app, name="audit", help="The hash-chained audit trail.")
    app.add_typer(privacy.app, name="privacy", help="Published disclosure-control parameters.")
    app.add_typer(receipts.app, name="receipts", help="Verify an output's privacy receipt.")
    app.add_typer(releases.app, name="releases", help="Checked releases that views read.")
    app.add_typer(budgets.app, name="budgets", help="Differential-privacy ε budgets.")
    app.add_typer(schemas.app, name="schemas", help="JSON Schemas of the document formats.")
    serve.register(app)
    demo.register(app)


_register()
