"""``beacon-connect``: the partner-side command line (assembles one module per command)."""

from __future__ import annotations

import typer

from connectors.commands import contract, feed, init, push, sample, status, validate, watch

app = typer.Typer(
    name="beacon-connect",
    help="Map, protect, validate and upload partner data to a Beacon gateway.",
    no_args_is_help=True,
    # Locals in a traceback could include the client secret or row values.
    pretty_exceptions_show_locals=False,
)
app.command("init")(init.init)
app.command("push")(push.push)
app.command("feed")(feed.feed)
app.command("validate")(validate.validate)
app.command("sample")(sample.sample)
app.command("status")(status.status)
app.command("watch")(watch.watch)
app.add_typer(contract.app, name="contract")
