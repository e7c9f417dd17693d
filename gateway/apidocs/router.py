"""`/docs` (Swagger UI) and `/redoc` served from the package, never from a CDN.

Defends against a third-party script host seeing (or altering) the docs page of a gateway for
counter-trafficking data: the assets are vendored from npm by ``deploy/vendor-docs.sh`` into
``gateway/static/docs/vendor``; the pages allow scripts from this origin only (CSP 'self').
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent.parent / "static" / "docs"
ASSETS = "/docs/assets"
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
_HEADERS = {"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)

_SWAGGER = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Beacon gateway API</title>
<link rel="stylesheet" href="{ASSETS}/vendor/swagger-ui.css">
<link rel="icon" href="{ASSETS}/vendor/favicon-32x32.png"></head>
<body><div id="swagger-ui"></div>
<script src="{ASSETS}/vendor/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/swagger-init.js"></script></body></html>
"""

_REDOC = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Beacon gateway API</title></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="{ASSETS}/vendor/redoc.standalone.js"></script></body></html>
"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    return HTMLResponse(_SWAGGER, headers=_HEADERS)


@router.get("/redoc")
def redoc() -> HTMLResponse:
    return HTMLResponse(_REDOC, headers=_HEADERS)


def assets() -> StaticFiles:
    """The vendored files and our init script (run ``deploy/vendor-docs.sh`` if 404)."""
    return StaticFiles(directory=STATIC, check_dir=False)
