"""`beacon receipts verify FILE`: check an output's privacy receipt against the gateway's keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

app = typer.Typer(no_args_is_help=True)

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@app.command("verify")
def verify(
    file: Annotated[
        Path, typer.Argument(help="A JSON answer, a receipted CSV or an Arrow stream.")
    ],
    jwks: Annotated[
        str,
        typer.Option(
            "--jwks",
            help="A JWKS file, or the gateway's http://127.0.0.1:PORT/.well-known/jwks.json.",
        ),
    ],
) -> None:
    """Exit 0 if the receipt's signature and the rows' sha256 hold, 1 with the reason if not."""
    from gateway.cli._common import console, err_console
    from gateway.privacy.errors import ReceiptInvalidError
    from gateway.privacy.receipt_files import read_receipted
    from gateway.privacy.receipts import check_rows, verify_receipt

    try:
        token, rows = read_receipted(_read(file))
        claims = verify_receipt(token, _load_jwks(jwks))
        check_rows(claims, rows)
    except ReceiptInvalidError as exc:
        err_console.print(f"[bold red]receipt INVALID:[/] {exc.detail}", highlight=False)
        raise typer.Exit(1) from None
    console.print(
        f"[bold green]receipt valid[/]: {len(rows)} rows match; view {claims.get('view')}, "
        f"release {claims.get('release_id')}, noise {claims.get('noise', {}).get('method')}",
        highlight=False,
        soft_wrap=True,
    )


def _read(file: Path) -> bytes:
    from gateway.privacy.errors import ReceiptInvalidError

    try:
        return file.read_bytes()
    except OSError as exc:
        raise ReceiptInvalidError(f"cannot read {file}: {exc.strerror or exc}") from exc


def _load_jwks(source: str) -> dict[str, Any]:
    from gateway.privacy.errors import ReceiptInvalidError

    try:
        if source.startswith(("http://", "https://")):
            url = httpx.URL(source)
            if url.host not in LOOPBACK:
                raise ReceiptInvalidError("a JWKS URL must be on a loopback host")
            response = httpx.get(url, timeout=5.0, headers={"Accept": "application/json"})
            response.raise_for_status()
            data = response.json()
        else:
            data = json.loads(Path(source).read_text())
    except (OSError, ValueError, httpx.HTTPError) as exc:
        raise ReceiptInvalidError(f"cannot load the key set from {source}") from exc
    if not isinstance(data, dict):
        raise ReceiptInvalidError("the key set is not a JWKS object")
    return data
