"""`beacon serve` (the gateway over HTTP) and `beacon demo` (embedded defaults + demo partners)."""

from __future__ import annotations

from pathlib import Path

import typer

from gateway.settings import Settings


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.command("demo")(demo)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="TCP port."),
    workers: int = typer.Option(1, help="Worker processes."),
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
    port: int = typer.Option(8000, help="TCP port on 127.0.0.1."),
    data_dir: Path = typer.Option(Path("var/demo"), help="Where the demo keeps its state."),
    scale: float = typer.Option(1.0, help="Multiply the demo data volume."),
    keep: bool = typer.Option(False, help="Keep earlier demo state instead of starting fresh."),
    exit_after_seed: bool = typer.Option(False, help="Stop once the data is loaded (for CI)."),
) -> None:
    """Start the gateway on embedded defaults with demo partners and synthetic data."""
    from gateway.demo.seed import run_demo

    raise typer.Exit(
        run_demo(
            port=port, data_dir=data_dir, scale=scale, keep=keep, exit_after_seed=exit_after_seed
        )
    )
