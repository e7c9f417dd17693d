"""Pure parts of the public channel: buckets, validation and coarsening, language negotiation."""

from __future__ import annotations

from datetime import date

import pytest

from gateway.public.buckets import bucket_of, network_prefix, window_of
from gateway.public.errors import InvalidReportError
from gateway.public.i18n import negotiate
from gateway.public.scrub import build_scrubber
from gateway.public.validation import check_submission

SALT_A, SALT_B = "aa" * 32, "bb" * 32
TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("host", "prefix"),
    [
        ("203.0.113.9", "203.0.0.0/16"),
        ("::ffff:203.0.113.9", "203.0.0.0/16"),
        ("2001:db8:1234:5678::1", "2001:db8:1234::/48"),
        (None, "unknown"),
        ("not-an-address", "unknown"),
    ],
)
def test_addresses_reduce_to_a_coarse_prefix(host: str | None, prefix: str) -> None:
    assert network_prefix(host) == prefix


def test_buckets_group_a_network_and_change_with_the_salt() -> None:
    same = bucket_of("203.0.113.9", salt=SALT_A)
    assert same == bucket_of("203.0.200.1", salt=SALT_A)  # same /16
    assert same != bucket_of("203.1.113.9", salt=SALT_A)  # next /16
    assert same != bucket_of("203.0.113.9", salt=SALT_B)  # next day: unlinkable
    assert "203" not in same and len(same) == 32


def test_window_and_retry_after() -> None:
    assert window_of(120.0, length=60) == (2, 60)
    assert window_of(179.5, length=60) == (2, 1)


def test_an_empty_submission_names_every_required_field() -> None:
    with pytest.raises(InvalidReportError) as caught:
        check_submission({}, today=TODAY, max_chars=100)
    assert caught.value.fields == {
        "country": "country_required",
        "narrative": "narrative_required",
    }


def test_bad_values_are_refused_field_by_field() -> None:
    raw = {
        "country": "XX",
        "exploitation_type": "smuggling",
        "sector": "space",
        "victim_count": "0",
        "occurred_month": "2027-01",
        "narrative": "z" * 101,
    }
    with pytest.raises(InvalidReportError) as caught:
        check_submission(raw, today=TODAY, max_chars=100)
    assert caught.value.fields == {
        "country": "country_required",
        "exploitation_type": "kind_invalid",
        "sector": "sector_invalid",
        "victim_count": "count_invalid",
        "occurred_month": "when_invalid",
        "narrative": "narrative_too_long",
    }


def test_location_is_coarsened_to_country_and_admin1() -> None:
    base = {"country": "fr", "narrative": "seen at the market"}
    known = check_submission({**base, "region": "Île-de-France"}, today=TODAY, max_chars=100)
    assert (known.country, known.admin1) == ("FR", "FR-IDF")
    town = check_submission({**base, "region": "12 rue de Paris"}, today=TODAY, max_chars=100)
    assert town.admin1 is None  # not a first-level subdivision: dropped, not stored
    with pytest.raises(InvalidReportError):
        check_submission({**base, "h3_cell": "871fb4662ffffff"}, today=TODAY, max_chars=100)


@pytest.mark.parametrize(
    ("query", "header", "lang"),
    [
        ("es", "fr", "es"),
        (None, "de-DE,fr;q=0.8,es;q=0.9", "es"),
        (None, "fr-CA", "fr"),
        (None, "de", "en"),
        ("xx", None, "en"),
        (None, "fr;q=0", "en"),
    ],
)
def test_language_negotiation(query: str | None, header: str | None, lang: str) -> None:
    assert negotiate({"en", "fr", "es"}, query=query, accept_language=header) == lang


def test_the_channel_scrubs_with_the_connector_scrubber_in_the_reporters_region() -> None:
    scrub = build_scrubber(deny_names=["Aroon"])
    out = scrub(
        "Aroon said mail a.b@example.org or call 081 234 5678, see https://x.example/me", "TH"
    )
    assert all(gone not in out.text for gone in ("Aroon", "example.org", "234 5678", "x.example"))
    assert out.removed == {"email": 1, "url": 1, "phone": 1, "name": 1}
