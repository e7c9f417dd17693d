"""Turn a submission (form fields or the app's JSON) into a report draft, or say what is wrong.

Defends against the public channel becoming a way to write arbitrary values into a dataset:
every field is checked against the ``incident_reports`` taxonomies, unknown fields are refused,
and location is coarsened to the contract's public rung (country, and admin1 only when the
region names a known first-level subdivision); no finer place is ever accepted from the public.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import pycountry

from gateway.public.errors import InvalidReportError
from gateway.public.i18n import subdivision_code

KINDS = (
    "labour",
    "sexual",
    "domestic_servitude",
    "forced_criminality",
    "forced_marriage",
    "child_exploitation",
    "other",
)
SECTORS = (
    "agriculture",
    "construction",
    "hospitality",
    "domestic_work",
    "fishing",
    "manufacturing",
    "sex_industry",
    "mining",
    "retail",
    "transport",
    "other",
)
FIELDS = frozenset(
    {"country", "region", "exploitation_type", "sector", "victim_count", "occurred_month",
     "narrative", "want_reference", "lang"}
)  # fmt: skip
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class Draft:
    """A checked submission before scrubbing (location already at the public rung)."""

    country: str
    admin1: str | None
    exploitation_type: str
    sector: str | None
    victim_count: int
    occurred_on: date | None
    narrative: str
    want_reference: bool


def check_submission(raw: Mapping[str, object], *, today: date, max_chars: int) -> Draft:
    """The draft of ``raw``; ``InvalidReportError`` naming every bad field (message keys)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - FIELDS)
    if unknown:
        raise InvalidReportError({name[:40]: "unknown_field" for name in unknown[:10]})
    country = _text(raw.get("country")).upper()
    if not country or pycountry.countries.get(alpha_2=country) is None:
        errors["country"] = "country_required"
    kind = _text(raw.get("exploitation_type")) or "other"
    if kind not in KINDS:
        errors["exploitation_type"] = "kind_invalid"
    sector = _text(raw.get("sector")) or None
    if sector is not None and sector not in SECTORS:
        errors["sector"] = "sector_invalid"
    count = _count(raw.get("victim_count"), errors)
    occurred = _month(raw.get("occurred_month"), today, errors)
    narrative = _text(raw.get("narrative"))
    if not narrative:
        errors["narrative"] = "narrative_required"
    elif len(narrative) > max_chars:
        errors["narrative"] = "narrative_too_long"
    if errors:
        raise InvalidReportError(errors)
    region = _text(raw.get("region"))[:100]
    return Draft(
        country=country,
        admin1=subdivision_code(country, region) if region else None,
        exploitation_type=kind,
        sector=sector,
        victim_count=count,
        occurred_on=occurred,
        narrative=narrative,
        want_reference=raw.get("want_reference") in (True, "1", "on", "yes", "true"),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _count(value: object, errors: dict[str, str]) -> int:
    if value is None or value == "":
        return 1
    if isinstance(value, bool):
        errors["victim_count"] = "count_invalid"
        return 1
    text = str(value).strip()
    if not text.isdigit() or not 1 <= int(text) <= 500:
        errors["victim_count"] = "count_invalid"
        return 1
    return int(text)


def _month(value: object, today: date, errors: dict[str, str]) -> date | None:
    text = _text(value)
    if not text:
        return None
    match = _MONTH.match(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        errors["occurred_month"] = "when_invalid"
        return None
    first = date(int(match[1]), int(match[2]), 1)
    if first > today or first.year < 1990:
        errors["occurred_month"] = "when_invalid"
        return None
    return first
