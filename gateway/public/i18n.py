"""Languages of the reporting page: message catalogues, negotiation and country names."""

from __future__ import annotations

import gettext
import json
from dataclasses import dataclass
from pathlib import Path

import pycountry

LOCALES = Path(__file__).parent / "locales"
DEFAULT = "en"


@dataclass(frozen=True)
class Catalogue:
    lang: str
    messages: dict[str, str]
    countries: tuple[tuple[str, str], ...]  # (alpha-2, name in this language), sorted by name

    def t(self, key: str, **values: object) -> str:
        text = self.messages.get(key, key)
        return text.format(**values) if values else text

    def country_name(self, code: str | None) -> str:
        return dict(self.countries).get(code or "", code or "")


def load_catalogues(folder: Path = LOCALES) -> dict[str, Catalogue]:
    out: dict[str, Catalogue] = {}
    for path in sorted(folder.glob("*.json")):
        lang = path.stem
        messages = json.loads(path.read_text(encoding="utf-8"))
        out[lang] = Catalogue(lang, messages, _country_names(lang))
    return out


def negotiate(available: set[str], *, query: str | None, accept_language: str | None) -> str:
    """``?lang=`` if offered, else the best Accept-Language match, else English."""
    if query and query.lower()[:2] in available:
        return query.lower()[:2]
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = item.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower()[:2]
        if primary in available and quality > 0:
            ranked.append((-quality, position, primary))
    return sorted(ranked)[0][2] if ranked else DEFAULT


def _country_names(lang: str) -> tuple[tuple[str, str], ...]:
    names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
    pairs = [(c.alpha_2, names.gettext(c.name)) for c in pycountry.countries]
    return tuple(sorted(pairs, key=lambda p: p[1].casefold()))


def subdivision_code(country: str, text: str) -> str | None:
    """The ISO 3166-2 code of ``text`` (a code or a name) in ``country``; None if unknown."""
    wanted = text.strip().casefold()
    if not wanted:
        return None
    subdivisions = pycountry.subdivisions.get(country_code=country)  # type: ignore[no-untyped-call]
    for sub in subdivisions or []:
        if sub.parent_code is not None:  # admin1 only: second-level units are finer
            continue
        if wanted in (sub.code.casefold(), sub.name.casefold()):
            return str(sub.code)
    return None
