"""The server-rendered reporting page (Jinja2, autoescaped): no script, no external resource.

Defends against the page itself leaking who reports: it loads nothing from another origin (no
CDN, fonts or analytics), sets no cookie, and is served with a strict Content-Security-Policy
that allows no script at all, so it works the same with JavaScript disabled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from gateway.public.i18n import Catalogue, load_catalogues, negotiate
from gateway.public.support import SupportDirectory
from gateway.public.validation import KINDS, SECTORS

HERE = Path(__file__).parent
FIELD_IDS = frozenset(
    {"country", "region", "exploitation_type", "sector", "victim_count", "occurred_month",
     "narrative"}
)  # fmt: skip
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
    "Permissions-Policy": "geolocation=(), camera=(), microphone=()",
}


class ReportPages:
    """Renders the form, its error state and the confirmation, in the negotiated language."""

    def __init__(self, directory: SupportDirectory, *, max_chars: int) -> None:
        self.directory, self.max_chars = directory, max_chars
        self.catalogues = load_catalogues()
        self.stylesheet = (HERE / "static" / "report.css").read_bytes()
        self._env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def catalogue(self, *, query: str | None, accept_language: str | None) -> Catalogue:
        lang = negotiate(set(self.catalogues), query=query, accept_language=accept_language)
        return self.catalogues[lang]

    def form(
        self,
        c: Catalogue,
        *,
        values: Mapping[str, object] | None = None,
        errors: Mapping[str, str] | None = None,
        country: str | None = None,
        retry_after: int | None = None,
    ) -> str:
        return self._render(
            "report.html",
            c,
            values=values or {},
            errors=errors or {},
            country=country if country in dict(c.countries) else None,
            retry_after=retry_after,
        )

    def thanks(self, c: Catalogue, *, country: str, reference: str | None) -> str:
        return self._render("thanks.html", c, country=country, reference=reference)

    def _render(self, name: str, c: Catalogue, **context: object) -> str:
        country = context.get("country")
        return self._env.get_template(name).render(
            c=c,
            languages=[(code, cat.t("lang_name")) for code, cat in self.catalogues.items()],
            kinds=KINDS,
            sectors=SECTORS,
            ids=FIELD_IDS,
            max_chars=self.max_chars,
            directory=self.directory,
            services=self.directory.for_country(country if isinstance(country, str) else None),
            **context,
        )
