"""Security headers on every response (defends against MIME sniffing, framing, referrer leaks,
downgrade to plain HTTP in production, and cached copies of row values or audit records).

A route may set its own ``Cache-Control`` (JWKS is public and cacheable) or
``Content-Security-Policy`` (the API docs page loads its own packaged scripts); everything else
gets ``no-store`` and a CSP that allows nothing at all.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=63072000; includeSubDomains"

# Also set by the problem renderer, so a 500 rendered outside this middleware carries them.
BASE_HEADERS: dict[str, str] = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": API_CSP,
    "Cache-Control": "no-store",
}


class SecurityHeadersMiddleware:
    """Pure ASGI: adds the headers a response does not already carry (streaming-safe)."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        defaults = dict(BASE_HEADERS, **({"Strict-Transport-Security": HSTS} if hsts else {}))
        self._defaults = [(k.lower().encode(), v.encode()) for k, v in defaults.items()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self._defaults if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
