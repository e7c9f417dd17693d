"""Read RSS/Atom feeds (feedparser) from a file or a loopback URL into ``open_source_items``.

Defends against duplicates and surprise network use: items are deduplicated by canonical link
(scheme and host lower-cased, ``www.``, fragments, tracking parameters and trailing slashes
removed) and by near-identical title (normalised titles with a difflib ratio of at least 0.9),
keeping the first seen; URLs are fetched only from 127.0.0.1/localhost unless the caller
allows remote hosts, with a timeout and a size cap. The item id is a hash of the canonical
link, so the same story re-read tomorrow gets the same id.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser  # type: ignore[import-untyped]
import httpx
import pyarrow as pa

from connectors.errors import SourceError
from connectors.feeds import taxonomy

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_TRACKING = ("utm_", "fbclid", "gclid", "mc_", "ref", "cmpid")
_MAX_BYTES = 20 << 20
_TITLE_RATIO = 0.9
SCHEMA = pa.schema(
    [(n, pa.string()) for n in (
        "item_id", "published_at", "source", "source_kind", "country", "exploitation_type",
        "sector", "summary", "link",
    )]
)  # fmt: skip


@dataclass
class FeedReport:
    read: int = 0
    duplicate_links: int = 0
    duplicate_titles: int = 0
    without_country: list[str] = field(default_factory=list)  # titles, for the report


def canonical_link(url: str) -> str:
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith(_TRACKING)]
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower() or "http", host, path, urlencode(sorted(query)), ""))


def fetch(location: str, *, allow_remote: bool = False, timeout: float = 15.0) -> bytes:
    """The feed document at a file path or URL (loopback only unless ``allow_remote``)."""
    if location.startswith(("http://", "https://")):
        host = urlsplit(location).hostname or ""
        if host not in _LOOPBACK and not allow_remote:
            raise SourceError(f"{location}: only 127.0.0.1/localhost feeds unless --allow-remote")
        try:
            response = httpx.get(location, timeout=timeout, follow_redirects=False)
        except httpx.HTTPError as exc:
            raise SourceError(f"{location}: cannot fetch ({exc.__class__.__name__})") from None
        if response.status_code != 200:
            raise SourceError(f"{location}: HTTP {response.status_code}")
        return response.content[:_MAX_BYTES]
    path = Path(location)
    if not path.is_file():
        raise SourceError(f"{location}: file not found")
    return path.read_bytes()[:_MAX_BYTES]


def parse(document: bytes, location: str) -> tuple[str, list[dict[str, Any]]]:
    parsed = feedparser.parse(document)
    if parsed.bozo and not parsed.entries:
        reason = getattr(parsed, "bozo_exception", "not a feed")
        raise SourceError(f"{location}: not an RSS/Atom feed ({str(reason)[:120]})")
    title = str(parsed.feed.get("title") or urlsplit(location).netloc or Path(location).stem)
    return title, list(parsed.entries)


class FeedItems:
    """Items of several feeds, deduplicated and tagged, as one contract-shaped table."""

    def __init__(self, *, source_kind: str = "media", default_country: str | None = None) -> None:
        self.report = FeedReport()
        self._kind = source_kind
        self._default_country = default_country
        self._links: set[str] = set()
        self._titles: list[str] = []
        self._rows: list[dict[str, str | None]] = []

    def add_feed(self, location: str, *, allow_remote: bool = False) -> None:
        feed_title, entries = parse(fetch(location, allow_remote=allow_remote), location)
        for entry in entries:
            self._add(feed_title, entry)

    def table(self) -> pa.Table:
        return pa.Table.from_pylist(self._rows, schema=SCHEMA)

    def _add(self, feed_title: str, entry: Any) -> None:
        self.report.read += 1
        link = str(entry.get("link") or "")
        title = str(entry.get("title") or "").strip()
        if not link.startswith(("http://", "https://")):
            return self._no_country(title or "(untitled)")  # unusable without a link
        canonical = canonical_link(link)
        if canonical in self._links:
            self.report.duplicate_links += 1
            return None
        key = taxonomy.normalise(title).strip()
        if key and any(
            difflib.SequenceMatcher(None, key, seen).ratio() >= _TITLE_RATIO
            for seen in self._titles
        ):
            self.report.duplicate_titles += 1
            return None
        summary = _text(entry.get("summary") or entry.get("description") or "")
        tags = taxonomy.tag(f"{title}. {summary}")
        country = tags["country"] or self._default_country
        if country is None:
            return self._no_country(title)
        self._links.add(canonical)
        self._titles.append(key)
        self._rows.append(
            {
                "item_id": hashlib.sha256(canonical.encode()).hexdigest()[:32],
                "published_at": _published(entry),
                "source": feed_title,
                "source_kind": self._kind,
                "country": country,
                "exploitation_type": tags["exploitation_type"],
                "sector": tags["sector"],
                "summary": f"{title}. {summary}".strip()[:2000],
                "link": canonical,
            }
        )
        return None

    def _no_country(self, title: str) -> None:
        self.report.without_country.append(title[:120])


def _published(entry: Any) -> str | None:
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    if stamp is None:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).isoformat()


def _text(html: str) -> str:
    """Summary text without markup (feedparser sanitises; tags are dropped here)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
