"""`beacon serve` (the gateway over HTTP) and `beacon demo` (embedded defaults + demo partners)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gateway.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 1,
) -> None:
    """Run the gateway with settings from BEACON_* environment variables."""
    import uvicorn

    from gateway.app import create_app

    if workers == 1:
        uvicorn.run(create_app(Settings()), host=host, port=port, log_config=None)
    else:
        uvicorn.run(
            "gateway.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=None,
        )


def demo(
    port: Annotated[int, typer.Option(help="TCP port on 127.0.0.1.")] = 8000,
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its state.")] = Path(
        "var/demo"
    ),
    scale: Annotated[float, typer.Option(help="Multiply the demo data volume.")] = 1.0,
    keep: Annotated[bool, typer.Option(help="Keep earlier demo state, don't start fresh.")] = False,
    exit_after_seed: Annotated[
        bool, typer.Option(help="Stop once the data is loaded (for CI and scripts).")
    ] = False,
) -> None:
    """Start the gateway on embedded defaults with demo partners and synthetic data."""
    from gateway.demo.seed import run_demo

    code = run_demo(
        port=port, data_dir=data_dir, scale=scale, keep=keep, exit_after_seed=exit_after_seed
    )
    raise typer.Exit(code)
