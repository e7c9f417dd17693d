"""Feeds: the EN/FR/ES/PT taxonomy, dedupe by canonical link and near-identical title, and a
push from a loopback URL into a running gateway."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from connectors.cli import app
from connectors.errors import SourceError
from connectors.feeds.reader import FeedItems, canonical_link
from connectors.feeds.taxonomy import tag
from tests.connectors.conftest import write_profile
from tests.connectors.live import LiveGateway, live

__all__ = ["live"]
FEEDS = Path(__file__).parent / "fixtures" / "feeds"
ALL = [str(FEEDS / n) for n in ("coastal_news_en.xml", "le_veilleur_fr.xml", "noticias_es_pt.xml")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Forced labour on fishing trawlers off Thailand", ("labour", "fishing", "TH")),
        ("Réseau de proxénétisme démantelé en France", ("sexual", None, "FR")),
        ("Trabajo forzoso en una finca de México", ("labour", "agriculture", "MX")),
        ("Trabalho escravo em fazenda no Brasil", ("labour", "agriculture", "BR")),
        ("Mariage forcé : une adolescente protégée en Belgique", ("forced_marriage", None, "BE")),
        ("Council debates parking", (None, None, None)),
    ],
)
def test_taxonomy_in_four_languages(text: str, expected: tuple[str | None, ...]) -> None:
    tags = tag(text)
    assert (tags["exploitation_type"], tags["sector"], tags["country"]) == expected


def test_canonical_link_drops_tracking_fragments_www_and_trailing_slash() -> None:
    assert canonical_link("HTTPS://www.Example.org/a/b/?utm_source=x&id=3&fbclid=z#c") == (
        "https://example.org/a/b?id=3"
    )


def test_sample_feeds_dedupe_and_report_items_without_a_country() -> None:
    items = FeedItems()
    for location in ALL:
        items.add_feed(location)
    table = items.table()
    report = items.report
    assert (report.read, report.duplicate_links, report.duplicate_titles) == (10, 1, 1)
    assert report.without_country == ["Council debates new harbour parking rules"]
    assert table.num_rows == 7
    assert sorted(table.column("country").to_pylist()) == ["BE", "BR", "ES", "FR", "GB", "MX", "TH"]
    assert len(set(table.column("item_id").to_pylist())) == 7
    assert table.column("published_at").to_pylist()[0] == "2024-11-04T09:30:00+00:00"


def test_remote_feeds_need_an_explicit_opt_in() -> None:
    with pytest.raises(SourceError, match=r"only 127\.0\.0\.1/localhost feeds unless"):
        FeedItems().add_feed("https://news.example.org/rss")


@pytest.fixture
def feed_server() -> Iterator[str]:
    handler = partial(SimpleHTTPRequestHandler, directory=str(FEEDS))
    handler.log_message = lambda *a, **k: None  # type: ignore[attr-defined]
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.integration
def test_feed_from_a_loopback_url_lands_in_open_source_items(
    live: LiveGateway, feed_server: str, tmp_path: Path
) -> None:
    profile = write_profile(tmp_path, live.profile_text(""))
    urls = [f"{feed_server}/coastal_news_en.xml", f"{feed_server}/noticias_es_pt.xml"]
    result = CliRunner().invoke(app, ["feed", *urls, "-p", str(profile), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 5
    stored = live.stored("open_source_items")
    assert sorted(stored.column("country").to_pylist()) == ["BR", "ES", "GB", "MX", "TH"]
    again = CliRunner().invoke(app, ["feed", *urls, "-p", str(profile), "--json"])
    assert again.exit_code == 0, again.output
    assert live.stored("open_source_items").num_rows == 5  # re-reading a feed doubles nothing
