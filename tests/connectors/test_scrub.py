"""connectors.scrub: every planted identifier goes, ordinary words, dates and counts stay."""

from __future__ import annotations

import pytest

from connectors.scrub import KINDS, ScrubResult, scrub_text


@pytest.mark.parametrize(
    ("planted", "kind"),
    [
        ("jane.doe+tips@example.org", "email"),
        ("https://facebook.com/jane.doe", "url"),
        ("instagram.com/some_girl_2009?hl=en", "url"),
        ("GB82 WEST 1234 5698 7654 32", "iban"),
        ("DE89370400440532013000", "iban"),
        ("4111 1111 1111 1111", "card"),
        ("5500-0000-0000-0004", "card"),
        ("123-45-6789", "national_id"),
        ("943 476 5919", "national_id"),
        ("12345678Z", "national_id"),
        ("111.444.777-35", "national_id"),
        ("X1234567", "passport"),
        ("+44 7911 123456", "phone"),
        ("07911 123457", "phone"),
        ("+33 6 12 34 56 78", "phone"),
        ("+55 11 91234-5678", "phone"),
        ("+34 612 345 678", "phone"),
        ("+351 912 345 678", "phone"),
        ("case 98765432", "account"),
    ],
)
def test_each_kind_is_replaced_by_its_placeholder(planted: str, kind: str) -> None:
    result = scrub_text(f"Reported by the hotline: {planted}. Follow up.")
    assert planted not in result.text
    assert f"[{kind}]" in result.text
    assert result.removed == {kind: 1}
    assert result.text.startswith("Reported by the hotline: ")


def test_passport_after_the_word_in_four_languages() -> None:
    for word in ("passport no.", "passeport", "pasaporte:", "passaporte nº"):
        result = scrub_text(f"Her {word} AB12C4567 was kept by the employer")
        assert "AB12C4567" not in result.text
        assert result.removed == {"passport": 1}


def test_deny_listed_names_whole_words_any_case_and_spacing() -> None:
    text = "MARIA  lopez met Maria Lopez-Garcia; Mariana was not there. Lopez left."
    result = scrub_text(text, deny_names=["Maria Lopez", "Lopez-Garcia", " "])
    assert result.text == "[name] met Maria [name]; Mariana was not there. Lopez left."
    assert result.removed == {"name": 2}


def test_longest_deny_name_wins() -> None:
    result = scrub_text("Maria Lopez Garcia", deny_names=["Maria Lopez", "Maria Lopez Garcia"])
    assert result == ScrubResult("[name]", {"name": 1})


def test_ordinary_text_dates_counts_and_front_pages_survive() -> None:
    text = (
        "On 2024-05-01 and 01-05-2024, 3 victims aged 25-30 were found at a farm in 1998; "
        "see www.unodc.org and https://example.org/ for help lines."
    )
    result = scrub_text(text)
    assert result == ScrubResult(text, {})


def test_invalid_numbers_are_not_taken_for_cards_or_ibans() -> None:
    # Fails Luhn / mod-97: only the generic account pass removes the long digit run.
    result = scrub_text("ref 4111 1111 1111 1112 and GB00 WEST 1234 5698 7654 32")
    assert "card" not in result.removed and "iban" not in result.removed


def test_a_narrative_with_everything_planted() -> None:
    text = (
        "Ana Souza (ana.souza@mail.example, +351 912 345 678) said her passport X7654321 "
        "was taken. Wages went to IBAN DE89 3704 0044 0532 0130 00 and card "
        "4111111111111111. Profile: https://vk.com/ana.s.1999. Contact Ana Souza again."
    )
    result = scrub_text(text, deny_names=["Ana Souza"])
    for secret in ("Ana Souza", "ana.souza", "912 345 678", "X7654321", "DE89", "4111", "vk.com"):
        assert secret not in result.text
    assert result.removed == {
        "email": 1,
        "url": 1,
        "iban": 1,
        "card": 1,
        "passport": 1,
        "phone": 1,
        "name": 2,
    }
    assert set(result.removed) <= set(KINDS)


def test_phone_region_decides_national_numbers() -> None:
    assert scrub_text("ligue 06 12 34 56 78", phone_region="FR").removed == {"phone": 1}
