"""Free-text scrubbing: remove what identifies a person before text leaves the partner.

Defends against re-identification through narratives and public reports: free text routinely
carries e-mail addresses, phone numbers, bank and card numbers, national ids, passport numbers,
links to social-media profiles and the names of the people involved. Each finding is replaced by
a bracketed placeholder naming its kind (``[email]``, ``[phone]``, ...), so a reader still sees
that something was there, and ``ScrubResult.removed`` counts what went, by kind, never what it
was.

The passes run in a fixed order, most specific first, so a card number is not half-eaten by the
phone pass and an e-mail's domain is not taken for a URL:

1. ``email``   addresses (RFC 5322's common shape);
2. ``url``     links with a path, query or fragment (``example.org`` alone stays: it names a
               site, not a person; ``facebook.com/jane.doe`` goes);
3. ``iban``    candidates that python-stdnum validates (mod-97 and country length);
4. ``card``    13-19 digit runs that pass the Luhn check;
5. ``national_id``  numbers python-stdnum validates for a few common schemes (US SSN, UK NHS number,
               Spanish DNI/NIE, French NIR, Brazilian CPF) when written in their usual form;
6. ``passport`` one or two capital letters followed by 6-9 digits (the ICAO-style shape most
               states use), and runs after the word passport/passeport/pasaporte/passaporte;
7. ``phone``   numbers phonenumbers finds and judges valid, international or national
               (national numbers in the ``phone_region`` numbering plan);
8. ``account`` any remaining run of 8 or more digits (account, case and customer numbers),
               dates written 2024-05-01 or 01-05-2024 excepted;
9. ``name``    every entry of the partner's deny-list, case- and spacing-insensitive, whole
               words only.

The module is pure (no I/O, no gateway imports): the connector and the public reporting channel
use the same function.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import phonenumbers
from stdnum import iban, luhn
from stdnum.br import cpf
from stdnum.es import dni, nie
from stdnum.fr import nir
from stdnum.gb import nhs
from stdnum.us import ssn

KINDS = (
    "email",
    "url",
    "iban",
    "card",
    "national_id",
    "passport",
    "phone",
    "account",
    "name",
)
DEFAULT_PHONE_REGION = "GB"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"']+|\b(?:[\w-]+\.)+[a-z]{2,}/[^\s<>\"']+", re.IGNORECASE
)
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]){10,30}\b")
_CARD = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_NATIONAL = (
    (re.compile(r"\b\d{3}-\d{2}-\d{4}\b"), ssn.is_valid),
    (re.compile(r"\b\d{3} \d{3} \d{4}\b"), nhs.is_valid),
    (re.compile(r"\b\d{8}-?[A-Z]\b"), dni.is_valid),
    (re.compile(r"\b[XYZ]-?\d{7}-?[A-Z]\b"), nie.is_valid),
    (re.compile(r"\b[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}\b"), nir.is_valid),
    (re.compile(r"\b\d{3}\.\d{3}\.\d{3}-\d{2}\b"), cpf.is_valid),
)
_PASSPORT = re.compile(
    r"\b[A-Z]{1,2}\d{6,9}\b"
    r"|(?i:\b(?:passport|passeport|pasaporte|passaporte)\b(?:\s*(?:no\.?|n[°º]|number|num))?"
    r"[\s:#]*)[A-Z0-9]{6,12}\b"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}")
_ACCOUNT = re.compile(r"(?<!\d)\d(?:[ -]?\d){7,}(?!\d)")


@dataclass(frozen=True)
class ScrubResult:
    """Scrubbed text and how many findings of each kind were replaced (kinds with 0 omitted)."""

    text: str
    removed: dict[str, int] = field(default_factory=dict)


def scrub_text(
    text: str, *, deny_names: Iterable[str] = (), phone_region: str = DEFAULT_PHONE_REGION
) -> ScrubResult:
    """``text`` with every finding replaced by ``[kind]``; see the module docstring."""
    removed: dict[str, int] = {}
    out = text
    out = _sub(_EMAIL, out, "email", removed)
    out = _sub(_URL, out, "url", removed, keep=_bare_site)
    out = _sub(_IBAN, out, "iban", removed, valid=lambda s: iban.is_valid(s))
    out = _sub(_CARD, out, "card", removed, valid=_is_card)
    for pattern, check in _NATIONAL:
        out = _sub(pattern, out, "national_id", removed, valid=check)
    out = _sub(_PASSPORT, out, "passport", removed)
    out = _phones(out, phone_region, removed)
    out = _sub(_ACCOUNT, out, "account", removed, keep=_DATE.fullmatch)
    deny = _deny_pattern(tuple(sorted({n.strip() for n in deny_names if n.strip()})))
    if deny is not None:
        out = _sub(deny, out, "name", removed)
    return ScrubResult(out, removed)


def _sub(
    pattern: re.Pattern[str],
    text: str,
    kind: str,
    removed: dict[str, int],
    *,
    valid: Callable[[str], bool] | None = None,
    keep: Callable[[str], object] | None = None,
) -> str:
    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        if (valid is not None and not valid(found)) or (keep is not None and keep(found)):
            return found
        removed[kind] = removed.get(kind, 0) + 1
        return f"[{kind}]"

    return pattern.sub(replace, text)


def _is_card(candidate: str) -> bool:
    digits = re.sub(r"[ -]", "", candidate)
    return 13 <= len(digits) <= 19 and luhn.is_valid(digits)


def _bare_site(url: str) -> bool:
    """A link to a site's front page (no path beyond ``/``, no query): not personal."""
    rest = re.sub(r"^(?:https?://)?", "", url, flags=re.IGNORECASE).rstrip(".,;:)")
    host, _, path = rest.partition("/")
    return not path.strip("/") and "?" not in host and "#" not in host


def _phones(text: str, region: str, removed: dict[str, int]) -> str:
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(text, region, leniency=phonenumbers.Leniency.VALID)
    ]
    if not spans:
        return text
    parts: list[str] = []
    last = 0
    for start, end in spans:
        parts.append(text[last:start])
        parts.append("[phone]")
        last = end
    parts.append(text[last:])
    removed["phone"] = removed.get("phone", 0) + len(spans)
    return "".join(parts)


@lru_cache(maxsize=32)
def _deny_pattern(names: tuple[str, ...]) -> re.Pattern[str] | None:
    if not names:
        return None
    # Longest first, so "Maria Lopez Garcia" wins over "Maria Lopez".
    alternatives = [
        r"\s+".join(re.escape(part) for part in name.split())
        for name in sorted(names, key=len, reverse=True)
    ]
    return re.compile(r"(?<![\w-])(?:" + "|".join(alternatives) + r")(?![\w-])", re.IGNORECASE)
