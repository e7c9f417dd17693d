"""`beacon serve`: the gateway over HTTP with settings from the environment."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run the gateway with settings from BEACON_* environment variables."""
    import uvicorn

    from gateway.app import create_app
    from gateway.cli._common import load_settings

    settings = load_settings()  # an invalid setting is one line and EXIT_CONFIG, no traceback
    if workers == 1:
        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_config=None,
            access_log=False,  # its line carries the client address (public channel)
            server_header=False,
        )
    else:
        uvicorn.run(
            "gateway.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
            access_log=False,  # its line carries the client address (public channel)
            server_header=False,
        )
