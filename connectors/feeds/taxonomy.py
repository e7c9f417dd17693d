"""The keyword taxonomy that tags open-source items: exploitation type, sector and country.

Documented here and in README "For partners". Keywords are matched on whole words after
lower-casing and stripping accents, in English, French, Spanish and Portuguese; the first
exploitation type and sector (in the order below) whose keywords occur win, and the country is
the one named most often (ties: first named). Country names come from pycountry's own ISO 3166
translations in the four languages, plus demonyms and short forms listed in ``_COUNTRY_EXTRA``.
An item that names no country is reported and not sent (the contract requires one), unless the
command sets a default country.
"""

from __future__ import annotations

import gettext
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import pycountry

LANGUAGES = ("en", "fr", "es", "pt")

EXPLOITATION: dict[str, tuple[str, ...]] = {
    "child_exploitation": (
        "child labour", "child labor", "child trafficking", "minors", "exploitation of children",
        "travail des enfants", "enfants exploites", "trabajo infantil", "menores de edad",
        "trabalho infantil", "explotacion infantil", "exploracao infantil", "criancas",
    ),
    "forced_marriage": (
        "forced marriage", "child marriage", "mariage force", "matrimonio forzado",
        "casamento forcado", "matrimonio infantil",
    ),
    "organ_removal": (
        "organ trafficking", "organ removal", "trafic d organes", "trafico de organos",
        "trafico de orgaos",
    ),
    "domestic_servitude": (
        "domestic servitude", "domestic worker", "maid", "servitude domestique",
        "employee de maison", "servidumbre domestica", "trabajadora del hogar",
        "servidao domestica", "empregada domestica",
    ),
    "forced_criminality": (
        "forced criminality", "forced to steal", "forced begging", "drug mule", "cannabis farm",
        "scam compound", "mendicite forcee", "criminalite forcee", "mendicidad forzada",
        "mendicancia forcada", "centro de estafas",
    ),
    "sexual": (
        "sexual exploitation", "sex trafficking", "forced prostitution", "brothel",
        "exploitation sexuelle", "prostitution forcee", "proxenetisme", "explotacion sexual",
        "prostitucion forzada", "exploracao sexual", "prostituicao forcada", "bordel", "burdel",
    ),
    "labour": (
        "forced labour", "forced labor", "labour exploitation", "labor exploitation",
        "debt bondage", "bonded labour", "travail force", "servitude pour dettes",
        "trabajo forzoso", "servidumbre por deudas", "trabalho forcado", "trabalho escravo",
        "trabajo esclavo", "escravidao", "esclavage moderne", "modern slavery",
    ),
}  # fmt: skip

SECTORS: dict[str, tuple[str, ...]] = {
    "fishing": ("fishing", "fishermen", "trawler", "peche", "pecheurs", "pesca", "pescadores"),
    "agriculture": (
        "farm", "plantation", "harvest", "agriculture", "agricole", "recolte", "ferme",
        "agricultura", "cosecha", "finca", "fazenda", "colheita", "plantacao",
    ),
    "construction": (
        "construction", "building site", "chantier", "obra", "construccion", "construcao",
    ),
    "mining": ("mine", "mining", "miners", "mineria", "mineracao", "garimpo", "orpaillage"),
    "manufacturing": ("factory", "garment", "usine", "textile", "fabrica", "maquila", "confeccao"),
    "hospitality": (
        "restaurant", "hotel", "nail salon", "bar", "hotellerie", "hosteleria", "hotelaria",
    ),
    "domestic_work": (
        "domestic work", "household", "travail domestique", "trabajo domestico",
        "trabalho domestico",
    ),
    "sex_industry": ("brothel", "massage parlour", "escort", "bordel", "burdel", "prostibulo"),
    "transport": ("truck", "lorry", "shipping", "camion", "transporte", "caminhao"),
    "retail": ("shop", "car wash", "boutique", "tienda", "loja", "lava jato"),
}  # fmt: skip

_COUNTRY_EXTRA: dict[str, str] = {
    "uk": "GB", "britain": "GB", "england": "GB", "royaume uni": "GB", "reino unido": "GB",
    "usa": "US", "united states": "US", "etats unis": "US", "estados unidos": "US",
    "thai": "TH", "brazilian": "BR", "bresilien": "BR", "brasileno": "BR", "brasileiro": "BR",
    "nigerian": "NG", "nigerian women": "NG", "vietnamese": "VN", "mexican": "MX",
    "mexicano": "MX", "mexicain": "MX", "espagnol": "ES", "spanish": "ES", "portuguese": "PT",
    "russia": "RU", "vietnam": "VN", "viet nam": "VN", "bolivia": "BO", "venezuela": "VE",
    "iran": "IR", "syria": "SY", "laos": "LA", "south korea": "KR", "north korea": "KP",
    "cote d ivoire": "CI", "ivory coast": "CI", "congo": "CG", "rdc": "CD",
}  # fmt: skip


def normalise(text: str) -> str:
    """Lower case, accents stripped, every run of non-letters one space (padded both sides)."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return " " + re.sub(r"[^a-z0-9]+", " ", plain).strip() + " "


@lru_cache(maxsize=1)
def country_names() -> dict[str, str]:
    """Normalised country name (in the four languages) -> ISO 3166-1 alpha-2."""
    out: dict[str, str] = {}
    translators = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in LANGUAGES
    ]
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            name = getattr(country, attr, None)
            if not name:
                continue
            for t in translators:
                key = normalise(t.gettext(name)).strip()
                if len(key) > 3:
                    out.setdefault(key, country.alpha_2)
    out.update(_COUNTRY_EXTRA)
    return out


def first_match(text: str, table: dict[str, tuple[str, ...]]) -> str | None:
    norm = normalise(text)
    for code, words in table.items():
        if any(f" {normalise(w).strip()} " in norm for w in words):
            return code
    return None


def country_of(text: str) -> str | None:
    norm = normalise(text)
    hits: Counter[str] = Counter()
    first: dict[str, int] = {}
    for name, code in country_names().items():
        needle = f" {name} "
        at = norm.find(needle)
        if at >= 0:
            hits[code] += norm.count(needle)
            first[code] = min(first.get(code, at), at)
    if not hits:
        return None
    return sorted(hits, key=lambda c: (-hits[c], first[c]))[0]


def tag(text: str) -> dict[str, str | None]:
    """Exploitation type, sector and country of one item's title + summary."""
    return {
        "exploitation_type": first_match(text, EXPLOITATION),
        "sector": first_match(text, SECTORS),
        "country": country_of(text),
    }
